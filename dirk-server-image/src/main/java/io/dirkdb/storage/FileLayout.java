package io.dirkdb.storage;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Locale;
import java.util.UUID;

/**
 * What log segments and snapshots have in common on disk (see docs/storage-format.md): each file is
 * named by an LSN in twenty zero-padded digits plus a suffix, so names sort in LSN order, and starts
 * with a magic number and a format version.
 */
final class FileLayout {
    private static final int LSN_DIGITS = 20;

    private FileLayout() {}

    static String fileName(long lsn, String suffix) {
        return String.format(Locale.ROOT, "%0" + LSN_DIGITS + "d%s", lsn, suffix);
    }

    /** The LSN a file name stands for, or -1 if it is not an LSN followed by {@code suffix}. */
    static long lsnOf(Path file, String suffix) {
        String name = file.getFileName().toString();
        if (name.length() != LSN_DIGITS + suffix.length() || !name.endsWith(suffix)) {
            return -1;
        }
        try {
            return Long.parseLong(name.substring(0, LSN_DIGITS));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** @param kind what the file should be, as a message names it ("log segment", "snapshot") */
    static void requireMagic(Object source, String kind, int magic, int expected) throws CorruptLogException {
        if (magic != expected) {
            throw new CorruptLogException(source + " is not a DirkDB " + kind + " (bad magic number)");
        }
    }

    /** @param format the format's name in messages ("log", "snapshot") */
    static void requireVersion(Object source, String format, int version, int expected) throws CorruptLogException {
        if (version != expected) {
            throw new CorruptLogException(source + " has " + format + " format version " + version
                    + "; this server reads version " + expected);
        }
    }

    /** @param format the format's name in messages ("log", "snapshot") */
    static void requireVersionUpTo(Object source, String format, int version, int newest) throws CorruptLogException {
        if (version < 1 || version > newest) {
            throw new CorruptLogException(source + " has " + format + " format version " + version
                    + "; this server reads versions 1 to " + newest);
        }
    }

    /** Writes a history id as 16 bytes (the UUID's two halves); all zeros for none. */
    static void putHistory(ByteBuffer out, String historyId) {
        UUID id = historyId == null ? null : UUID.fromString(historyId);
        out.putLong(id == null ? 0 : id.getMostSignificantBits()).putLong(id == null ? 0 : id.getLeastSignificantBits());
    }

    /** Reads 16 bytes written by {@link #putHistory}; null for all zeros. */
    static String getHistory(ByteBuffer in) {
        long high = in.getLong();
        long low = in.getLong();
        return high == 0 && low == 0 ? null : new UUID(high, low).toString();
    }
}
