/**
 * Where the active application's users live (docs/directory.md): the
 * console's own store, or the application's database. A wizard: connect
 * (PostgreSQL or an SQLite file), map the users table (guessed from column
 * names, every choice a list of what the login can see), check (a dry run
 * that writes nothing: checks, first rows, suggested DDL), link. Linked: the
 * source, last sync, read-only state, "Sync now", "Unlink". The database
 * password is write-only: it goes to the keychain and never comes back.
 */
import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type {
  DirectoryMapping,
  DirectorySourceInput,
  SourceCheck,
  SslMode,
  TableInfo,
} from '../../../../shared/directory-source.ts';
import type { ErrorInfo } from '../../../../shared/errors.ts';
import type { DirectoryView } from '../../../../shared/ipc/directory.ts';
import { invoke } from '../../bridge.ts';
import { ago, Badge, Field, Notice } from '../../components/index.ts';
import './directory.css';

type Kind = 'postgres' | 'sqlite';
type Place = 'column' | 'table';

const NONE = '';

/** The first column whose name matches one of the patterns (in order). */
function guess(columns: readonly string[], patterns: readonly RegExp[]): string {
  for (const p of patterns) {
    const hit = columns.find((c) => p.test(c));
    if (hit) return hit;
  }
  return NONE;
}

function ColumnSelect(props: {
  label: string;
  value: string;
  columns: readonly string[];
  optional?: boolean;
  hint?: ReactNode;
  onChange: (v: string) => void;
}) {
  return (
    <Field label={props.label} hint={props.hint}>
      <select className="input" value={props.value} onChange={(e) => props.onChange(e.target.value)}>
        {props.optional ? <option value={NONE}>— none —</option> : <option value={NONE}>Choose…</option>}
        {props.columns.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    </Field>
  );
}

function CheckResult({ check }: { check: SourceCheck }) {
  const ref = useRef<HTMLDivElement>(null);
  // A new result: scroll the dialog (only it) to the end, where the result and "Link" are.
  useEffect(() => {
    const dialog = ref.current?.closest('dialog');
    if (dialog) dialog.scrollTop = dialog.scrollHeight;
  }, [check]);
  return (
    <div className="dir-check" data-testid="directory-check" ref={ref}>
      <ul className="dir-check__list">
        {check.checks.map((c) => {
          // Write access missing is not a failure: the profile links read-only.
          const tone = c.ok ? 'ok' : /writable$/.test(c.name) ? 'warn' : 'no';
          return (
            <li key={c.name} className={`dir-check__${tone}`}>
              <span aria-hidden="true">{tone === 'ok' ? '✓' : tone === 'warn' ? '!' : '✗'}</span>
              <span className="visually-hidden">
                {tone === 'ok' ? 'passed:' : tone === 'warn' ? 'note:' : 'failed:'}
              </span>{' '}
              <strong>{c.name}</strong> <span className="muted">{c.detail}</span>
            </li>
          );
        })}
      </ul>
      <p className="dir-check__summary">
        {check.users.toLocaleString()} users, {check.withIampassId.toLocaleString()} with an IAMPASS ID
        {check.writable ? '' : ' · read-only login'}.
      </p>
      {check.preview.length > 0 && (
        <div className="table-wrap">
          <table className="table dir-check__preview">
            <caption className="visually-hidden">The first users as the console will see them</caption>
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">User ID</th>
                <th scope="col">Display name</th>
                <th scope="col">IAMPASS ID</th>
              </tr>
            </thead>
            <tbody>
              {check.preview.map((u) => (
                <tr key={u.key}>
                  <td className="mono">{u.key}</td>
                  <td title={u.userId}>{u.userId}</td>
                  <td title={u.displayName}>{u.displayName}</td>
                  <td className="mono" title={u.iampassId ?? ''}>
                    {u.iampassId ?? <span className="muted">not at IAMPASS</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function LinkedSummary(props: { view: DirectoryView; onChange: () => void; onDone: (text: string) => void }) {
  const { view } = props;
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [confirming, setConfirming] = useState(false);
  return (
    <div className="dir-linked" data-testid="directory-linked">
      <dl className="dir-linked__facts">
        <div>
          <dt>Users live in</dt>
          <dd className="mono">{view.label}</dd>
        </div>
        <div>
          <dt>Last read</dt>
          <dd>{view.syncedAt === null ? 'Not yet' : ago(view.syncedAt)}</dd>
        </div>
        <div>
          <dt>Team mode</dt>
          <dd>{view.team === null ? 'Off' : <span className="mono">schema {view.team}</span>}</dd>
        </div>
        <div>
          <dt>Access</dt>
          <dd>{view.readOnly ? <Badge tone="warn">Read-only</Badge> : <Badge tone="ok">Read and write IDs</Badge>}</dd>
        </div>
      </dl>
      {error && <Notice tone="error">{error.message}</Notice>}
      {confirming && (
        <Notice tone="warn" title="Unlink this database?">
          The console stops listing the application&apos;s users for this profile. The application&apos;s table keeps
          every IAMPASS ID; the password leaves the keychain.
        </Notice>
      )}
      <div className="dialog__actions">
        {confirming ? (
          <>
            <button type="button" className="btn" onClick={() => setConfirming(false)}>
              Keep it
            </button>
            <button
              type="button"
              className="btn btn--danger-solid"
              onClick={() =>
                void invoke('directory.unlink', {}).then((r) =>
                  r.ok ? props.onDone('Unlinked: the console keeps its own directory again.') : setError(r),
                )
              }
            >
              Unlink
            </button>
          </>
        ) : (
          <>
            <button type="button" className="btn btn--danger" onClick={() => setConfirming(true)}>
              Unlink…
            </button>
            <button type="button" className="btn" onClick={props.onChange}>
              Change mapping…
            </button>
            <button
              type="button"
              className="btn btn--primary"
              onClick={() =>
                void invoke('directory.sync', {}).then((r) =>
                  r.ok ? props.onDone("Reading the application's users…") : setError(r),
                )
              }
            >
              Sync now
            </button>
          </>
        )}
      </div>
    </div>
  );
}

export function DirectorySettings(props: { onDone: (notice: string | null) => void }) {
  const [view, setView] = useState<DirectoryView | null>(null);
  const [editing, setEditing] = useState(false);
  const [kind, setKind] = useState<Kind>('postgres');
  const [host, setHost] = useState('127.0.0.1');
  const [port, setPort] = useState('5432');
  const [database, setDatabase] = useState('');
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [sslmode, setSslmode] = useState<SslMode>('disable');
  const [caFile, setCaFile] = useState('');
  const [path, setPath] = useState('');
  const [tables, setTables] = useState<TableInfo[] | null>(null);
  const [table, setTable] = useState(NONE);
  const [key, setKey] = useState(NONE);
  const [userId, setUserId] = useState(NONE);
  const [displayName, setDisplayName] = useState(NONE);
  const [email, setEmail] = useState(NONE);
  const [phone, setPhone] = useState(NONE);
  const [place, setPlace] = useState<Place>('column');
  const [idColumn, setIdColumn] = useState(NONE);
  const [tokenTable, setTokenTable] = useState('');
  const [tokenKey, setTokenKey] = useState('');
  const [tokenColumn, setTokenColumn] = useState('');
  const [team, setTeam] = useState(false);
  const [teamSchema, setTeamSchema] = useState('iampass_console');
  const [check, setCheck] = useState<SourceCheck | null>(null);
  const [createDdl, setCreateDdl] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState<null | 'connect' | 'check' | 'link'>(null);

  useEffect(() => {
    void invoke('directory.view', {}).then((r) => {
      if (!r.ok) return setError(r);
      setView(r.value);
      const s = r.value.source;
      if (!s) return;
      setKind(s.kind);
      if (s.kind === 'postgres') {
        setHost(s.connection.host);
        setPort(String(s.connection.port));
        setDatabase(s.connection.database);
        setUser(s.connection.user);
        setSslmode(s.connection.sslmode);
        setCaFile(s.connection.caFile ?? '');
        setTeam(s.team !== undefined);
        if (s.team) setTeamSchema(s.team.schema);
      } else setPath(s.path);
      const m = s.mapping;
      setTable(m.table);
      setKey(m.key);
      setUserId(m.userId);
      setDisplayName(m.displayName ?? NONE);
      setEmail(m.email ?? NONE);
      setPhone(m.phone ?? NONE);
      setPlace(m.iampassId.kind);
      if (m.iampassId.kind === 'column') setIdColumn(m.iampassId.column);
      else {
        setTokenTable(m.iampassId.table);
        setTokenKey(m.iampassId.userKey);
        setTokenColumn(m.iampassId.column);
      }
    });
  }, []);

  const columns = useMemo(
    () => tables?.find((t) => t.name === table)?.columns.map((c) => c.name) ?? [],
    [tables, table],
  );
  const tokenColumns = useMemo(
    () => tables?.find((t) => t.name === tokenTable)?.columns.map((c) => c.name) ?? [],
    [tables, tokenTable],
  );

  const where = () =>
    kind === 'postgres'
      ? {
          kind: 'postgres' as const,
          connection: {
            host: host.trim(),
            port: Number(port),
            database: database.trim(),
            user: user.trim(),
            sslmode,
            ...(caFile.trim() === '' ? {} : { caFile: caFile.trim() }),
          },
        }
      : { kind: 'sqlite' as const, path: path.trim() };

  const mapping = (): DirectoryMapping => ({
    table,
    key,
    userId,
    ...(displayName === NONE ? {} : { displayName }),
    ...(email === NONE ? {} : { email }),
    ...(phone === NONE ? {} : { phone }),
    iampassId:
      place === 'column'
        ? { kind: 'column', column: idColumn }
        : { kind: 'table', table: tokenTable.trim(), userKey: tokenKey.trim(), column: tokenColumn.trim() },
  });
  const source = (): DirectorySourceInput => {
    const w = where();
    return w.kind === 'postgres' && team
      ? { ...w, mapping: mapping(), team: { schema: teamSchema.trim() } }
      : { ...w, mapping: mapping() };
  };
  const pw = password === '' ? {} : { password };

  function pickTable(name: string, list: TableInfo[] | null = tables) {
    setTable(name);
    setCheck(null);
    const cols = list?.find((t) => t.name === name)?.columns.map((c) => c.name) ?? [];
    setKey(guess(cols, [/^id$/i, /_id$/i]));
    setUserId(guess(cols, [/^(user_?name|login|email|user_?id)$/i, /mail|login|user/i]));
    setDisplayName(guess(cols, [/^(display_?name|full_?name|name)$/i, /name/i]));
    setEmail(guess(cols, [/^e?mail$/i, /mail/i]));
    setPhone(guess(cols, [/phone|mobile|msisdn/i]));
    const id = guess(cols, [/iampass/i, /activeconnect/i]);
    setIdColumn(id);
    if (id === NONE && cols.length > 0) setPlace('table');
  }

  async function connect() {
    setBusy('connect');
    setError(null);
    setCheck(null);
    const r = await invoke('directory.tables', { where: where(), ...pw });
    setBusy(null);
    if (!r.ok) return setError(r);
    setTables(r.value);
    if (!r.value.some((t) => t.name === table)) {
      const first = r.value.find((t) => /user|account|customer|member/i.test(t.name)) ?? r.value[0];
      if (first) pickTable(first.name, r.value);
    }
  }

  async function runCheck() {
    setBusy('check');
    setError(null);
    const r = await invoke('directory.check', { source: source(), ...pw });
    setBusy(null);
    if (!r.ok) return setError(r);
    setCheck(r.value);
    setCreateDdl(false);
  }

  async function link() {
    setBusy('link');
    setError(null);
    const r = await invoke('directory.link', {
      source: source(),
      ...pw,
      ...(createDdl && check ? { applyDdl: check.suggestedDdl } : {}),
    });
    setBusy(null);
    if (!r.ok) return setError(r);
    props.onDone(
      r.value.check.writable
        ? `Linked. Reading ${r.value.check.users.toLocaleString()} users from the application's database…`
        : `Linked read-only: the login may not write IAMPASS IDs. Reading ${r.value.check.users.toLocaleString()} users…`,
    );
  }

  if (!view && !error) return <p className="muted">Loading…</p>;
  if (view && view.kind !== 'embedded' && !editing)
    return <LinkedSummary view={view} onChange={() => setEditing(true)} onDone={(t) => props.onDone(t)} />;

  const tokenReady =
    place === 'column' ? idColumn !== NONE : tokenTable !== '' && tokenKey !== '' && tokenColumn !== '';
  const mapped = table !== NONE && key !== NONE && userId !== NONE && tokenReady;
  const checkPassesWithDdl = check !== null && (check.ok || (createDdl && check.suggestedDdl.length > 0));

  return (
    <form
      className="dir-form"
      aria-label="Users directory"
      data-testid="directory-settings"
      onSubmit={(e) => {
        e.preventDefault();
        void (check ? link() : runCheck());
      }}
    >
      <fieldset className="dir-form__where">
        <legend className="field__label">Where the application keeps its users</legend>
        <div className="dir-choice" role="radiogroup">
          {(['postgres', 'sqlite'] as const).map((k) => (
            <label key={k} className={kind === k ? 'dir-choice__item dir-choice__item--on' : 'dir-choice__item'}>
              <input
                type="radio"
                name="kind"
                value={k}
                checked={kind === k}
                onChange={() => {
                  setKind(k);
                  setTables(null);
                  setCheck(null);
                }}
              />
              {k === 'postgres' ? 'PostgreSQL database' : 'SQLite file'}
            </label>
          ))}
        </div>
      </fieldset>
      {kind === 'postgres' ? (
        <div className="form-grid dir-grid">
          <Field label="Host">
            <input
              className="input input--mono"
              value={host}
              onChange={(e) => setHost(e.target.value)}
              spellCheck={false}
            />
          </Field>
          <Field label="Port">
            <input className="input" inputMode="numeric" value={port} onChange={(e) => setPort(e.target.value)} />
          </Field>
          <Field label="Database">
            <input
              className="input input--mono"
              name="database"
              value={database}
              onChange={(e) => setDatabase(e.target.value)}
              spellCheck={false}
            />
          </Field>
          <Field label="User">
            <input
              className="input input--mono"
              name="dbUser"
              value={user}
              onChange={(e) => setUser(e.target.value)}
              autoComplete="off"
              spellCheck={false}
            />
          </Field>
          <Field
            label="Password"
            hint={view?.hasPassword ? 'Kept in the OS keychain; type to replace it.' : 'Kept in the OS keychain.'}
          >
            <input
              className="input"
              type="password"
              name="dbPassword"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              autoComplete="new-password"
            />
          </Field>
          <Field label="TLS" hint="Off only on this machine or a private network.">
            <select className="input" value={sslmode} onChange={(e) => setSslmode(e.target.value as SslMode)}>
              <option value="disable">Off</option>
              <option value="require">On, server not verified</option>
              <option value="verify-ca">Verify certificate</option>
              <option value="verify-full">Verify certificate and host</option>
            </select>
          </Field>
          {sslmode.startsWith('verify') && (
            <div className="form-grid__wide">
              <Field label="CA file (optional)">
                <input
                  className="input input--mono"
                  value={caFile}
                  onChange={(e) => setCaFile(e.target.value)}
                  spellCheck={false}
                />
              </Field>
            </div>
          )}
        </div>
      ) : (
        <Field label="SQLite file" hint="The application's own database file; it is never created.">
          <input
            className="input input--mono"
            name="path"
            value={path}
            onChange={(e) => setPath(e.target.value)}
            spellCheck={false}
          />
        </Field>
      )}
      <div className="dir-form__row">
        <button type="button" className="btn" onClick={() => void connect()} disabled={busy !== null}>
          {busy === 'connect' ? 'Connecting…' : tables ? 'Reconnect' : 'Connect'}
        </button>
        {tables && (
          <span className="muted">
            {tables.length === 1 ? '1 table' : `${tables.length} tables`} this login can read.
          </span>
        )}
      </div>

      {tables && (
        <div className="form-grid dir-grid" onChange={() => setCheck(null)}>
          <div className="form-grid__wide">
            <Field label="Users table">
              <select className="input" name="table" value={table} onChange={(e) => pickTable(e.target.value)}>
                <option value={NONE}>Choose…</option>
                {tables.map((t) => (
                  <option key={t.name} value={t.name}>
                    {t.name}
                  </option>
                ))}
              </select>
            </Field>
          </div>
          <ColumnSelect label="Key" value={key} columns={columns} onChange={setKey} hint="Its primary key." />
          <ColumnSelect
            label="User ID"
            value={userId}
            columns={columns}
            onChange={setUserId}
            hint="What admins see and type."
          />
          <ColumnSelect label="Display name" value={displayName} columns={columns} optional onChange={setDisplayName} />
          <ColumnSelect label="Email" value={email} columns={columns} optional onChange={setEmail} />
          <ColumnSelect label="Phone" value={phone} columns={columns} optional onChange={setPhone} />
          <fieldset className="form-grid__wide dir-form__place">
            <legend className="field__label">The IAMPASS ID lives in</legend>
            <div className="dir-choice" role="radiogroup">
              <label className={place === 'column' ? 'dir-choice__item dir-choice__item--on' : 'dir-choice__item'}>
                <input type="radio" name="place" checked={place === 'column'} onChange={() => setPlace('column')} />A
                column of {table || 'the users table'}
              </label>
              <label className={place === 'table' ? 'dir-choice__item dir-choice__item--on' : 'dir-choice__item'}>
                <input type="radio" name="place" checked={place === 'table'} onChange={() => setPlace('table')} />A
                token table
              </label>
            </div>
          </fieldset>
          {place === 'column' ? (
            <ColumnSelect label="IAMPASS ID column" value={idColumn} columns={columns} onChange={setIdColumn} />
          ) : (
            <>
              <Field label="Token table" hint="A new name: the check offers to create it.">
                <input
                  className="input input--mono"
                  list="dir-tables"
                  name="tokenTable"
                  value={tokenTable}
                  onChange={(e) => setTokenTable(e.target.value)}
                  spellCheck={false}
                />
              </Field>
              <Field label="Its column holding the user's key">
                <input
                  className="input input--mono"
                  list="dir-token-columns"
                  name="tokenKey"
                  value={tokenKey}
                  onChange={(e) => setTokenKey(e.target.value)}
                  spellCheck={false}
                />
              </Field>
              <Field label="Its IAMPASS ID column">
                <input
                  className="input input--mono"
                  list="dir-token-columns"
                  name="tokenColumn"
                  value={tokenColumn}
                  onChange={(e) => setTokenColumn(e.target.value)}
                  spellCheck={false}
                />
              </Field>
              <datalist id="dir-tables">
                {tables.map((t) => (
                  <option key={t.name} value={t.name} />
                ))}
              </datalist>
              <datalist id="dir-token-columns">
                {tokenColumns.map((c) => (
                  <option key={c} value={c} />
                ))}
              </datalist>
            </>
          )}
        </div>
      )}

      {tables && kind === 'postgres' && (
        <fieldset className="dir-team">
          <legend className="field__label">Other admins</legend>
          <label className="dir-ddl__choice">
            <input
              type="checkbox"
              name="team"
              checked={team}
              onChange={(e) => (setTeam(e.target.checked), setCheck(null))}
            />{' '}
            Team mode: share changes in progress and the audit log with every admin&apos;s console on this database
          </label>
          {team && (
            <Field label="Team schema" hint="Its tables are created by the DDL the check shows, when you choose to.">
              <input
                className="input input--mono"
                name="teamSchema"
                value={teamSchema}
                onChange={(e) => (setTeamSchema(e.target.value), setCheck(null))}
                spellCheck={false}
              />
            </Field>
          )}
        </fieldset>
      )}
      {check && <CheckResult check={check} />}
      {check && check.suggestedDdl.length > 0 && (
        <div className="dir-ddl">
          <label className="dir-ddl__choice">
            <input type="checkbox" checked={createDdl} onChange={(e) => setCreateDdl(e.target.checked)} /> Run this
            before linking (nothing else in the schema changes):
          </label>
          <pre className="dir-ddl__sql mono">{check.suggestedDdl.map((s) => `${s};`).join('\n')}</pre>
        </div>
      )}
      {error && (
        <Notice tone="error" testId="directory-error">
          {error.message}
        </Notice>
      )}
      <div className="dialog__actions">
        <button type="button" className="btn" onClick={() => (editing ? setEditing(false) : props.onDone(null))}>
          Cancel
        </button>
        {tables && (
          <button type="button" className="btn" onClick={() => void runCheck()} disabled={!mapped || busy !== null}>
            {busy === 'check' ? 'Checking…' : 'Check (writes nothing)'}
          </button>
        )}
        {tables && (
          <button
            type="button"
            className="btn btn--primary"
            onClick={() => void link()}
            disabled={!checkPassesWithDdl || busy !== null}
          >
            {busy === 'link' ? 'Linking…' : 'Link'}
          </button>
        )}
      </div>
    </form>
  );
}
