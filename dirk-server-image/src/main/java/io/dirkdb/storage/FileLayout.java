package io.dirkdb.storage;

import java.nio.file.Path;
import java.util.Locale;

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
}
