"""Put the columns a catalogue search reads first in the summary row
(PostgreSQL only; the model state does not change, SQLite is untouched).

A search visits the row of every match and reads its id, date, status,
whether it is current, its general topic codes and its search vector.
PostgreSQL finds a column in a row by walking every column before it (past
the first one of variable length it cannot keep offsets), and the date, the
vector and the codes were three of the last ten of 35: the walk cost about
0.4 µs a match, 5 ms of the 45 ms that a broad search (14,000 matches in
100,000 summaries) took alone. With them first, the walk stops after six
columns. Under 20 clients with the catalogue cache off, p95 went from 103-105
ms to 96 ms (README, Benchmarks). The table keeps its layout (migration 0008:
the vector and the codes on the row, every other long value in the TOAST
table).

PostgreSQL cannot move a column, so the table is copied into a new one with
the columns in that order, then takes the old one's name, constraints,
indexes, triggers, storage settings, its id sequence (options and state) and
the foreign keys that point to it, all read from the catalogue. (CHECK
constraints come back from their text: PostgreSQL may print them with other
casts, meaning the same.) It runs in one transaction holding the table and
the tables that point to it exclusively from the start, so the site's reads
and writes of summaries wait for it (about 15 s for 100,000 summaries) and no
lock is ever upgraded halfway: it waits at most LOCK_TIMEOUT for them, then
fails and can be run again. A failure leaves the table as it was.

Anything about the table that this copy would not carry over (grants, an
owner other than the migrating role, comments, policies, rules, publications,
extended statistics, generated columns, column collations or statistics
targets, a replica identity, TOAST options, disabled triggers) makes it leave
the table as it is and say why: the order is a speed-up, not a need. Going
back leaves the order as it is (nothing depends on it).
"""

from django.db import migrations

TABLE = "videos_summary"
FIRST = ("id", "created_at", "is_current", "status", "general_codes", "search_vector")
LOCK_TIMEOUT = "30s"
_STORAGE = {"p": "PLAIN", "e": "EXTERNAL", "m": "MAIN", "x": "EXTENDED"}

# What the copy would not carry over, each as a query counting it for the table %(t)s.
_NOT_CARRIED = {
    "grants on the table": "SELECT count(*) FROM pg_class WHERE oid = %(t)s AND relacl IS NOT NULL",
    "an owner other than the migrating role": "SELECT count(*) FROM pg_class WHERE oid = %(t)s AND relowner <> (SELECT oid FROM pg_roles WHERE rolname = current_user)",
    "comments": "SELECT count(*) FROM pg_description WHERE objoid = %(t)s AND classoid = 'pg_class'::regclass",
    "row security": "SELECT count(*) FROM pg_class WHERE oid = %(t)s AND (relrowsecurity OR relforcerowsecurity) UNION ALL SELECT count(*) FROM pg_policy WHERE polrelid = %(t)s",
    "rules": "SELECT count(*) FROM pg_rewrite WHERE ev_class = %(t)s",
    "publications": "SELECT count(*) FROM pg_publication_rel WHERE prrelid = %(t)s",
    "extended statistics": "SELECT count(*) FROM pg_statistic_ext WHERE stxrelid = %(t)s",
    "a replica identity": "SELECT count(*) FROM pg_class WHERE oid = %(t)s AND relreplident <> 'd'",
    "TOAST options": "SELECT count(*) FROM pg_class c JOIN pg_class t ON t.oid = c.reltoastrelid WHERE c.oid = %(t)s AND t.reloptions IS NOT NULL",
    "generated columns, collations or statistics targets": "SELECT count(*) FROM pg_attribute a JOIN pg_type y ON y.oid = a.atttypid WHERE a.attrelid = %(t)s AND a.attnum > 0 AND NOT a.attisdropped AND (a.attgenerated <> '' OR a.attcollation <> y.typcollation OR a.attstattarget >= 0)",
    "disabled triggers": "SELECT count(*) FROM pg_trigger WHERE tgrelid = %(t)s AND NOT tgisinternal AND tgenabled <> 'O'",
    "grants on the id sequence": "SELECT count(*) FROM pg_depend d JOIN pg_class s ON s.oid = d.objid WHERE d.refobjid = %(t)s AND d.classid = 'pg_class'::regclass AND s.relkind = 'S' AND s.relacl IS NOT NULL",
}


def not_carried(cursor, table: str) -> list[str]:
    """What about `table` a copy would lose (see _NOT_CARRIED); empty when nothing."""
    cursor.execute("SELECT %s::regclass::oid", [table])
    (oid,) = cursor.fetchone()
    found = []
    for what, sql in _NOT_CARRIED.items():
        cursor.execute(sql, {"t": oid})
        if any(n for (n,) in cursor.fetchall()):
            found.append(what)
    return found


def reorder_columns(cursor, table: str, first: tuple[str, ...]) -> bool:
    """Rewrite `table` with the columns `first` at its start, the others after them
    in their order. Returns False when they already come first, or when the copy
    would lose something (not_carried): then nothing is done."""
    cursor.execute(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid), "
        "a.attidentity, a.attstorage, t.typstorage, a.attcompression "
        "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
        "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
        "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        [table],
    )
    columns = {row[0]: row[1:] for row in cursor.fetchall()}
    order = [c for c in first if c in columns] + [c for c in columns if c not in first]
    if list(columns) == order:
        return False
    lost = not_carried(cursor, table)
    if lost:
        print(f"\n  {table} keeps its column order: a copy would not carry over its {', '.join(lost)}.")
        return False
    cursor.execute(
        "SELECT conrelid::regclass::text FROM pg_constraint WHERE confrelid = %s::regclass AND contype = 'f' "
        "AND conrelid <> confrelid",
        [table],
    )
    referencing_tables = sorted({name for (name,) in cursor.fetchall()})
    # Every lock the rewrite needs, taken at once before anything is read for it: a lock
    # upgraded later (to drop the table) would deadlock with a request that read, then wrote.
    cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
    cursor.execute(f"LOCK TABLE {', '.join([table, *referencing_tables])} IN ACCESS EXCLUSIVE MODE")

    cursor.execute("SELECT relnamespace::regnamespace::text, reloptions FROM pg_class WHERE oid = %s::regclass", [table])
    schema, options = cursor.fetchone()
    new = f"{schema}.{table}_reordered"
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype <> 't' "
        "ORDER BY contype = 'p' DESC, contype = 'f', conname",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = %s::regclass "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid "
        "AND c.contype IN ('p', 'u', 'x')) ORDER BY i.indexrelid",
        [table],
    )
    indexes = [row[0] for row in cursor.fetchall()]
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE confrelid = %s::regclass AND contype = 'f' AND conrelid <> confrelid ORDER BY conname",
        [table],
    )
    referencing = cursor.fetchall()
    cursor.execute("SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [table])
    triggers = [row[0] for row in cursor.fetchall()]

    definitions = []
    for name in order:
        type_sql, not_null, default, identity, _, _, compression = columns[name]
        sql = f'"{name}" {type_sql}'
        if identity:
            sql += f" GENERATED {'ALWAYS' if identity == 'a' else 'BY DEFAULT'} AS IDENTITY"
        elif default is not None:
            sql += f" DEFAULT {default}"
        if compression:
            sql += f" COMPRESSION {'lz4' if compression == 'l' else 'pglz'}"
        if not_null:
            sql += " NOT NULL"
        definitions.append(sql)
    with_options = f" WITH ({', '.join(options)})" if options else ""
    cursor.execute(f"CREATE TABLE {new} ({', '.join(definitions)}){with_options}")
    for name in order:
        _, _, _, _, storage, type_storage, _ = columns[name]
        if storage != type_storage:
            cursor.execute(f'ALTER TABLE {new} ALTER COLUMN "{name}" SET STORAGE {_STORAGE[storage]}')
    listed = ", ".join(f'"{c}"' for c in order)
    cursor.execute(f"INSERT INTO {new} ({listed}) OVERRIDING SYSTEM VALUE SELECT {listed} FROM {table} ORDER BY id")
    sequences = []
    for name in order:
        if columns[name][3]:  # an identity column: its sequence goes on as the old one would
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s), pg_get_serial_sequence(%s, %s)", [table, name, new, name])
            old_sequence, new_sequence = cursor.fetchone()
            cursor.execute(
                "SELECT seqincrement, seqmin, seqmax, seqstart, seqcache, seqcycle FROM pg_sequence WHERE seqrelid = %s::regclass",
                [old_sequence],
            )
            increment, minimum, maximum, start, cache, cycle = cursor.fetchone()
            cursor.execute(
                f"ALTER SEQUENCE {new_sequence} INCREMENT BY {int(increment)} MINVALUE {int(minimum)} MAXVALUE {int(maximum)} "
                f"START WITH {int(start)} CACHE {int(cache)} {'CYCLE' if cycle else 'NO CYCLE'}"
            )
            cursor.execute(f"SELECT last_value, is_called FROM {old_sequence}")
            last_value, is_called = cursor.fetchone()
            cursor.execute("SELECT setval(%s, %s, %s)", [new_sequence, last_value, is_called])
            sequences.append((new_sequence, old_sequence.rsplit(".", 1)[-1]))

    for other, name, _ in referencing:
        cursor.execute(f'ALTER TABLE {other} DROP CONSTRAINT "{name}"')
    cursor.execute(f"DROP TABLE {schema}.{table}")  # no CASCADE: anything else that depends on it stops the migration
    cursor.execute(f"ALTER TABLE {new} RENAME TO {table}")
    table = f"{schema}.{table}"
    for new_sequence, old_name in sequences:
        cursor.execute(f'ALTER SEQUENCE {new_sequence} RENAME TO "{old_name}"')
    for name, definition in constraints:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for definition in indexes:
        cursor.execute(definition)
    for other, name, definition in referencing:
        cursor.execute(f'ALTER TABLE {other} ADD CONSTRAINT "{name}" {definition}')
    for definition in triggers:
        cursor.execute(definition)
    cursor.execute(f"ANALYZE {table}")
    return True


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        reorder_columns(cursor, TABLE, FIRST)


class Migration(migrations.Migration):
    dependencies = [("videos", "0008_summary_row_layout")]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
