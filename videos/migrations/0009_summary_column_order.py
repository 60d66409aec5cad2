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
indexes, triggers, storage settings, the state of its id sequence and the
foreign keys that point to it, all from the catalogue as they are. It runs
in one transaction, with writes to the table blocked meanwhile (reads go on):
a failure leaves the table as it was. For 100,000 summaries it takes about
15 seconds. Going back leaves the order as it is (nothing depends on it).
"""

from django.db import migrations

TABLE = "videos_summary"
FIRST = ("id", "created_at", "is_current", "status", "general_codes", "search_vector")
_STORAGE = {"p": "PLAIN", "e": "EXTERNAL", "m": "MAIN", "x": "EXTENDED"}


def reorder_columns(cursor, table: str, first: tuple[str, ...]) -> bool:
    """Rewrite `table` with the columns `first` at its start, the others after them
    in their order. Returns False when they already come first (nothing done)."""
    cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
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
    new = f"{table}_reordered"
    cursor.execute("SELECT reloptions FROM pg_class WHERE oid = %s::regclass", [table])
    (options,) = cursor.fetchone()
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
        "ORDER BY contype = 'p' DESC, contype = 'f', conname",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = %s::regclass "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY i.indexrelid",
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
        if columns[name][3]:  # an identity column: its sequence goes on where the old one was
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s), pg_get_serial_sequence(%s, %s)", [table, name, new, name])
            old_sequence, new_sequence = cursor.fetchone()
            cursor.execute(f"SELECT last_value, is_called FROM {old_sequence}")
            last_value, is_called = cursor.fetchone()
            cursor.execute("SELECT setval(%s, %s, %s)", [new_sequence, last_value, is_called])
            sequences.append((new_sequence, old_sequence.rsplit(".", 1)[-1]))

    for other, name, _ in referencing:
        cursor.execute(f'ALTER TABLE {other} DROP CONSTRAINT "{name}"')
    cursor.execute(f"DROP TABLE {table}")  # no CASCADE: anything else that depends on it stops the migration
    cursor.execute(f"ALTER TABLE {new} RENAME TO {table}")
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
