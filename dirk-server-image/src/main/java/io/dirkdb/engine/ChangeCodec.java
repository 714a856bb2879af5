package io.dirkdb.engine;

import io.dirkdb.sql.Parser;
import io.dirkdb.sql.TypeSpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The binary form of log-record payloads (one {@link Change} each) and of snapshots; the format
 * is described in docs/storage-format.md, section "Engine payloads". Integers are zig-zag
 * varints, strings are a varint byte length then UTF-8, so a million rows decode in well under
 * a second.
 */
final class ChangeCodec {
    /** Version 2 adds the commit time; version 1 payloads (no time) are still read. */
    static final int PAYLOAD_VERSION = 2;
    static final int PAYLOAD_VERSION_WITHOUT_TIME = 1;
    static final int SNAPSHOT_MAGIC = 0x44534E50; // "DSNP"
    static final int SNAPSHOT_END = 0x454E4421; // "END!"
    static final int SNAPSHOT_VERSION = 1;

    private static final int CREATE_DATABASE = 1;
    private static final int DROP_DATABASE = 2;
    private static final int CREATE_TABLE = 3;
    private static final int DROP_TABLE = 4;
    private static final int CREATE_DOMAIN = 5;
    private static final int DROP_DOMAIN = 6;
    private static final int CREATE_VIEW = 7;
    private static final int DROP_VIEW = 8;
    private static final int INSERT = 9;
    private static final int UPDATE = 10;
    private static final int DELETE = 11;

    private static final int VALUE_NULL = 0;
    private static final int VALUE_LONG = 1;
    private static final int VALUE_DOUBLE = 2;
    private static final int VALUE_STRING = 3;
    private static final int VALUE_DATE = 4;

    private static final int TYPE_NUMBER = 1;
    private static final int TYPE_TEXT = 2;
    private static final int TYPE_DATE = 3;
    private static final int TYPE_ENUM = 4;
    private static final int TYPE_UNION = 5;
    private static final int TYPE_DOMAIN = 6;

    private ChangeCodec() {}

    // ------------------------------------------------------------------ log payloads

    /** A version 2 payload: {@code committedAtMillis} is the primary's commit time (epoch milliseconds). */
    static byte[] encode(Change change, long committedAtMillis) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        Writer out = new Writer(bytes);
        try {
            out.varint(PAYLOAD_VERSION);
            out.varint(committedAtMillis);
            writeChange(out, change);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // cannot happen on a byte array
        }
        return bytes.toByteArray();
    }

    static Change decode(byte[] payload) throws IOException {
        Reader in = new Reader(new ByteArrayInputStream(payload));
        long version = in.varint();
        if (version == PAYLOAD_VERSION) {
            in.varint(); // the commit time: for restores to a point in time, not for the catalog
        } else if (version != PAYLOAD_VERSION_WITHOUT_TIME) {
            throw new IOException("unknown log payload version " + version);
        }
        return readChange(in);
    }

    /**
     * The commit time (epoch milliseconds) a payload carries, or -1 for a version 1 payload, which has none.
     *
     * @throws IOException if the payload is not one this version reads
     */
    static long commitTime(byte[] payload) throws IOException {
        Reader in = new Reader(new ByteArrayInputStream(payload));
        long version = in.varint();
        if (version == PAYLOAD_VERSION_WITHOUT_TIME) {
            return -1;
        }
        if (version != PAYLOAD_VERSION) {
            throw new IOException("unknown log payload version " + version);
        }
        return in.varint();
    }

    private static void writeChange(Writer out, Change change) throws IOException {
        if (change instanceof Change.CreateDatabase c) {
            out.varint(CREATE_DATABASE);
            out.string(c.database());
        } else if (change instanceof Change.DropDatabase c) {
            out.varint(DROP_DATABASE);
            out.string(c.database());
        } else if (change instanceof Change.CreateTable c) {
            out.varint(CREATE_TABLE);
            out.string(c.database());
            out.string(c.table());
            writeColumns(out, c.columns());
        } else if (change instanceof Change.DropTable c) {
            out.varint(DROP_TABLE);
            out.string(c.database());
            out.string(c.table());
        } else if (change instanceof Change.CreateDomain c) {
            out.varint(CREATE_DOMAIN);
            out.string(c.database());
            out.string(c.domain());
            writeType(out, c.type());
        } else if (change instanceof Change.DropDomain c) {
            out.varint(DROP_DOMAIN);
            out.string(c.database());
            out.string(c.domain());
        } else if (change instanceof Change.CreateView c) {
            out.varint(CREATE_VIEW);
            out.string(c.database());
            out.string(c.view());
            out.string(c.queryText());
        } else if (change instanceof Change.DropView c) {
            out.varint(DROP_VIEW);
            out.string(c.database());
            out.string(c.view());
        } else if (change instanceof Change.Insert c) {
            out.varint(INSERT);
            out.string(c.database());
            out.string(c.table());
            out.varint(c.firstRowId());
            out.varint(c.rows().size());
            for (Object[] row : c.rows()) {
                writeRow(out, row);
            }
        } else if (change instanceof Change.Update c) {
            out.varint(UPDATE);
            out.string(c.database());
            out.string(c.table());
            out.varint(c.rowIds().length);
            for (int i = 0; i < c.rowIds().length; i++) {
                out.varint(c.rowIds()[i]);
                writeRow(out, c.rows().get(i));
            }
        } else if (change instanceof Change.Delete c) {
            out.varint(DELETE);
            out.string(c.database());
            out.string(c.table());
            out.varint(c.rowIds().length);
            for (long rowId : c.rowIds()) {
                out.varint(rowId);
            }
        } else {
            throw new IllegalArgumentException("unknown change " + change);
        }
    }

    private static Change readChange(Reader in) throws IOException {
        int tag = (int) in.varint();
        switch (tag) {
            case CREATE_DATABASE:
                return new Change.CreateDatabase(in.string());
            case DROP_DATABASE:
                return new Change.DropDatabase(in.string());
            case CREATE_TABLE:
                return new Change.CreateTable(in.string(), in.string(), readColumns(in));
            case DROP_TABLE:
                return new Change.DropTable(in.string(), in.string());
            case CREATE_DOMAIN:
                return new Change.CreateDomain(in.string(), in.string(), readType(in));
            case DROP_DOMAIN:
                return new Change.DropDomain(in.string(), in.string());
            case CREATE_VIEW:
                return new Change.CreateView(in.string(), in.string(), in.string());
            case DROP_VIEW:
                return new Change.DropView(in.string(), in.string());
            case INSERT: {
                String database = in.string();
                String table = in.string();
                long firstRowId = in.varint();
                int count = in.count();
                List<Object[]> rows = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    rows.add(readRow(in));
                }
                return new Change.Insert(database, table, firstRowId, rows);
            }
            case UPDATE: {
                String database = in.string();
                String table = in.string();
                int count = in.count();
                long[] ids = new long[count];
                List<Object[]> rows = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    ids[i] = in.varint();
                    rows.add(readRow(in));
                }
                return new Change.Update(database, table, ids, rows);
            }
            case DELETE: {
                String database = in.string();
                String table = in.string();
                int count = in.count();
                long[] ids = new long[count];
                for (int i = 0; i < count; i++) {
                    ids[i] = in.varint();
                }
                return new Change.Delete(database, table, ids);
            }
            default:
                throw new IOException("unknown change tag " + tag);
        }
    }

    // ------------------------------------------------------------------ snapshots

    /** A table's rows as they were at capture time; rows are never changed in place, so references suffice. */
    record TableImage(String name, List<Table.Column> columns, long nextRowId, long[] rowIds, Object[][] rows) {}

    record DatabaseImage(String name, List<Map.Entry<String, TypeSpec>> domains, List<TableImage> tables,
                         List<Database.View> views) {}

    /**
     * Captures the catalog for a snapshot: a copy of references only, taken under the read lock
     * in a few milliseconds per million rows, so the snapshot is encoded and written without
     * holding writers back.
     */
    static List<DatabaseImage> capture(Catalog catalog) {
        List<DatabaseImage> images = new ArrayList<>(catalog.databases.size());
        for (Database database : catalog.databases.values()) {
            List<TableImage> tables = new ArrayList<>(database.tables.size());
            for (Table table : database.tables.values()) {
                long[] ids = new long[table.rows.size()];
                Object[][] rows = new Object[ids.length][];
                int i = 0;
                for (Map.Entry<Long, Object[]> row : table.rows.entrySet()) {
                    ids[i] = row.getKey();
                    rows[i++] = row.getValue();
                }
                tables.add(new TableImage(table.name, table.columns, table.nextRowId, ids, rows));
            }
            images.add(new DatabaseImage(database.name, List.copyOf(database.domains.entrySet().stream()
                    .map(e -> Map.entry(e.getKey(), e.getValue())).toList()), tables, List.copyOf(database.views.values())));
        }
        return images;
    }

    static void writeSnapshot(Catalog catalog, OutputStream stream) throws IOException {
        writeSnapshot(capture(catalog), stream);
    }

    static void writeSnapshot(List<DatabaseImage> databases, OutputStream stream) throws IOException {
        Writer out = new Writer(stream);
        out.int32(SNAPSHOT_MAGIC);
        out.varint(SNAPSHOT_VERSION);
        out.varint(databases.size());
        for (DatabaseImage database : databases) {
            out.string(database.name());
            out.varint(database.domains().size());
            for (Map.Entry<String, TypeSpec> domain : database.domains()) {
                out.string(domain.getKey());
                writeType(out, domain.getValue());
            }
            out.varint(database.tables().size());
            for (TableImage table : database.tables()) {
                out.string(table.name());
                writeColumns(out, table.columns());
                out.varint(table.nextRowId());
                out.varint(table.rowIds().length);
                long previousId = 0;
                for (int i = 0; i < table.rowIds().length; i++) {
                    out.varint(table.rowIds()[i] - previousId); // ids ascend: small deltas
                    previousId = table.rowIds()[i];
                    writeRow(out, table.rows()[i]);
                }
            }
            out.varint(database.views().size());
            for (Database.View view : database.views()) {
                out.string(view.name());
                out.string(view.queryText());
            }
        }
        out.int32(SNAPSHOT_END);
        out.flush();
    }

    static Catalog readSnapshot(InputStream stream) throws IOException {
        Reader in = new Reader(stream, true);
        if (in.int32() != SNAPSHOT_MAGIC) {
            throw new IOException("not a DirkDB engine snapshot");
        }
        long version = in.varint();
        if (version != SNAPSHOT_VERSION) {
            throw new IOException("unknown snapshot version " + version);
        }
        Catalog catalog = new Catalog();
        int databases = in.count();
        for (int d = 0; d < databases; d++) {
            Database database = new Database(in.string());
            catalog.databases.put(database.name, database);
            int domains = in.count();
            for (int i = 0; i < domains; i++) {
                database.domains.put(in.string(), readType(in));
            }
            int tables = in.count();
            for (int t = 0; t < tables; t++) {
                String name = in.string();
                List<Table.Column> columns = readColumns(in);
                long nextRowId = in.varint();
                int rows = in.count();
                Table table = new Table(name, columns, rows);
                long rowId = 0;
                for (int r = 0; r < rows; r++) {
                    rowId += in.varint();
                    table.restore(rowId, readRow(in));
                }
                table.nextRowId = nextRowId;
                database.tables.put(table.name, table);
            }
            int views = in.count();
            for (int v = 0; v < views; v++) {
                String name = in.string();
                String text = in.string();
                database.views.put(name, new Database.View(name, text, Parser.parseQuery(text)));
            }
        }
        if (in.int32() != SNAPSHOT_END) {
            throw new IOException("snapshot is truncated or corrupt");
        }
        return catalog;
    }

    // ------------------------------------------------------------------ parts

    private static void writeColumns(Writer out, List<Table.Column> columns) throws IOException {
        out.varint(columns.size());
        for (Table.Column column : columns) {
            out.string(column.name());
            writeType(out, column.type());
        }
    }

    private static List<Table.Column> readColumns(Reader in) throws IOException {
        int count = in.count();
        List<Table.Column> columns = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            columns.add(new Table.Column(in.string(), readType(in)));
        }
        return columns;
    }

    private static void writeRow(Writer out, Object[] row) throws IOException {
        out.varint(row.length);
        for (Object value : row) {
            writeValue(out, value);
        }
    }

    private static Object[] readRow(Reader in) throws IOException {
        Object[] row = new Object[in.count()];
        for (int i = 0; i < row.length; i++) {
            row[i] = readValue(in);
        }
        return row;
    }

    private static void writeValue(Writer out, Object value) throws IOException {
        if (value == null) {
            out.byte8(VALUE_NULL);
        } else if (value instanceof Long l) {
            out.byte8(VALUE_LONG);
            out.varint(l);
        } else if (value instanceof Double d) {
            out.byte8(VALUE_DOUBLE);
            out.int64(Double.doubleToRawLongBits(d));
        } else if (value instanceof String s) {
            out.byte8(VALUE_STRING);
            out.string(s);
        } else if (value instanceof LocalDate date) {
            out.byte8(VALUE_DATE);
            out.varint(date.toEpochDay());
        } else {
            throw new IllegalArgumentException("cannot store " + value.getClass());
        }
    }

    private static Object readValue(Reader in) throws IOException {
        int tag = in.byte8();
        return switch (tag) {
            case VALUE_NULL -> null;
            case VALUE_LONG -> in.varint();
            case VALUE_DOUBLE -> Double.longBitsToDouble(in.int64());
            case VALUE_STRING -> in.string();
            case VALUE_DATE -> in.date();
            default -> throw new IOException("unknown value tag " + tag);
        };
    }

    private static void writeType(Writer out, TypeSpec type) throws IOException {
        if (type instanceof TypeSpec.NumberType t) {
            out.byte8(TYPE_NUMBER);
            writeValue(out, t.min());
            writeValue(out, t.max());
        } else if (type instanceof TypeSpec.TextType t) {
            out.byte8(TYPE_TEXT);
            writeValue(out, t.minLength());
            writeValue(out, t.maxLength());
        } else if (type instanceof TypeSpec.DateType) {
            out.byte8(TYPE_DATE);
        } else if (type instanceof TypeSpec.EnumType t) {
            out.byte8(TYPE_ENUM);
            out.varint(t.values().size());
            for (Object value : t.values()) {
                writeValue(out, value);
            }
        } else if (type instanceof TypeSpec.UnionType t) {
            out.byte8(TYPE_UNION);
            out.varint(t.members().size());
            for (TypeSpec member : t.members()) {
                writeType(out, member);
            }
        } else if (type instanceof TypeSpec.DomainType t) {
            out.byte8(TYPE_DOMAIN);
            out.string(t.name());
        }
    }

    private static TypeSpec readType(Reader in) throws IOException {
        int tag = in.byte8();
        switch (tag) {
            case TYPE_NUMBER:
                return new TypeSpec.NumberType((Number) readValue(in), (Number) readValue(in));
            case TYPE_TEXT:
                return new TypeSpec.TextType((Long) readValue(in), (Long) readValue(in));
            case TYPE_DATE:
                return new TypeSpec.DateType();
            case TYPE_ENUM: {
                int count = in.count();
                List<Object> values = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    values.add(readValue(in));
                }
                return new TypeSpec.EnumType(values);
            }
            case TYPE_UNION: {
                int count = in.count();
                List<TypeSpec> members = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    members.add(readType(in));
                }
                return new TypeSpec.UnionType(members);
            }
            case TYPE_DOMAIN:
                return new TypeSpec.DomainType(in.string());
            default:
                throw new IOException("unknown type tag " + tag);
        }
    }

    // ------------------------------------------------------------------ buffered primitives

    /** Buffered writer of zig-zag varints, fixed-width integers and strings. */
    private static final class Writer {
        private final OutputStream out;
        private final byte[] buffer = new byte[64 * 1024];
        private int used;

        Writer(OutputStream out) {
            this.out = out;
        }

        void byte8(int value) throws IOException {
            if (used == buffer.length) {
                flushBuffer();
            }
            buffer[used++] = (byte) value;
        }

        void varint(long value) throws IOException {
            long zigzag = (value << 1) ^ (value >> 63);
            while ((zigzag & ~0x7FL) != 0) {
                byte8((int) ((zigzag & 0x7F) | 0x80));
                zigzag >>>= 7;
            }
            byte8((int) zigzag);
        }

        void int32(int value) throws IOException {
            for (int shift = 24; shift >= 0; shift -= 8) {
                byte8(value >>> shift);
            }
        }

        void int64(long value) throws IOException {
            for (int shift = 56; shift >= 0; shift -= 8) {
                byte8((int) (value >>> shift));
            }
        }

        void string(String value) throws IOException {
            byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
            varint(bytes.length);
            if (bytes.length > buffer.length - used) {
                flushBuffer();
                if (bytes.length > buffer.length) {
                    out.write(bytes);
                    return;
                }
            }
            System.arraycopy(bytes, 0, buffer, used, bytes.length);
            used += bytes.length;
        }

        private void flushBuffer() throws IOException {
            out.write(buffer, 0, used);
            used = 0;
        }

        void flush() throws IOException {
            flushBuffer();
            out.flush();
        }
    }

    /** Buffered reader matching {@link Writer}. */
    private static final class Reader {
        private final InputStream in;
        private final byte[] buffer = new byte[64 * 1024];
        private int position;
        private int limit;
        /** Decoded short ASCII texts by a hash of their bytes; null when not sharing (log payloads). */
        private final String[] sharedTexts;
        /** Decoded dates by epoch day modulo the table size; null when not sharing. */
        private final LocalDate[] sharedDates;

        Reader(InputStream in) {
            this(in, false);
        }

        /**
         * @param shareValues hand out one instance per distinct short text and date: a snapshot
         *                    repeats them across many rows, and both are immutable, so this saves
         *                    an allocation per value and the memory of every duplicate
         */
        Reader(InputStream in, boolean shareValues) {
            this.in = in;
            this.sharedTexts = shareValues ? new String[SHARED_TEXT_SLOTS] : null;
            this.sharedDates = shareValues ? new LocalDate[SHARED_DATE_SLOTS] : null;
        }

        private static final int SHARED_TEXT_SLOTS = 1 << 13;
        private static final int SHARED_TEXT_MAX_BYTES = 48;
        private static final int SHARED_DATE_SLOTS = 1 << 12;

        int byte8() throws IOException {
            if (position == limit) {
                limit = in.read(buffer, 0, buffer.length);
                position = 0;
                if (limit <= 0) {
                    limit = 0;
                    throw new EOFException("unexpected end of engine data");
                }
            }
            return buffer[position++] & 0xFF;
        }

        long varint() throws IOException {
            long zigzag = 0;
            int shift = 0;
            while (true) {
                int b = byte8();
                zigzag |= (long) (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    break;
                }
                shift += 7;
                if (shift > 63) {
                    throw new IOException("malformed varint");
                }
            }
            return (zigzag >>> 1) ^ -(zigzag & 1);
        }

        int count() throws IOException {
            long n = varint();
            if (n < 0 || n > Integer.MAX_VALUE) {
                throw new IOException("malformed count " + n);
            }
            return (int) n;
        }

        int int32() throws IOException {
            int value = 0;
            for (int i = 0; i < 4; i++) {
                value = (value << 8) | byte8();
            }
            return value;
        }

        long int64() throws IOException {
            long value = 0;
            for (int i = 0; i < 8; i++) {
                value = (value << 8) | byte8();
            }
            return value;
        }

        String string() throws IOException {
            int length = count();
            if (length <= limit - position) {
                if (sharedTexts != null && length <= SHARED_TEXT_MAX_BYTES) {
                    String shared = sharedText(length);
                    if (shared != null) {
                        position += length;
                        return shared;
                    }
                }
                String s = new String(buffer, position, length, StandardCharsets.UTF_8);
                position += length;
                return s;
            }
            byte[] bytes = new byte[length];
            for (int i = 0; i < length; i++) {
                bytes[i] = (byte) byte8();
            }
            return new String(bytes, StandardCharsets.UTF_8);
        }

        /**
         * The text at the read position if it is ASCII (one char per byte, so it compares without
         * decoding), from the shared table or decoded and put there; null for any other text.
         */
        private String sharedText(int length) {
            int hash = 0;
            for (int i = position; i < position + length; i++) {
                byte b = buffer[i];
                if (b < 0) {
                    return null;
                }
                hash = 31 * hash + b;
            }
            int slot = (hash ^ (hash >>> 13)) & (SHARED_TEXT_SLOTS - 1);
            String shared = sharedTexts[slot];
            if (shared != null && shared.length() == length) {
                boolean same = true;
                for (int i = 0; i < length && same; i++) {
                    same = shared.charAt(i) == buffer[position + i];
                }
                if (same) {
                    return shared;
                }
            }
            shared = new String(buffer, position, length, StandardCharsets.US_ASCII);
            sharedTexts[slot] = shared;
            return shared;
        }

        LocalDate date() throws IOException {
            long epochDay = varint();
            if (sharedDates == null) {
                return LocalDate.ofEpochDay(epochDay);
            }
            int slot = (int) (epochDay & (SHARED_DATE_SLOTS - 1));
            LocalDate shared = sharedDates[slot];
            if (shared == null || shared.toEpochDay() != epochDay) {
                shared = LocalDate.ofEpochDay(epochDay);
                sharedDates[slot] = shared;
            }
            return shared;
        }
    }
}
