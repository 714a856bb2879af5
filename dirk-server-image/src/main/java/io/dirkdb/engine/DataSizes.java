package io.dirkdb.engine;

import java.lang.management.ManagementFactory;
import java.time.LocalDate;

/**
 * Estimates of the heap the stored data takes, from the shapes HotSpot gives the objects of a row (headers,
 * references, boxed numbers, compact strings) rather than from a heap walk: cheap enough to maintain on
 * every write. They err on the high side, so a member refuses writes before the heap is really full.
 */
final class DataSizes {
    /** 4 with compressed references (heaps under 32 GiB), else 8. */
    static final int REFERENCE = compressedReferences() ? 4 : 8;
    private static final int HEADER = REFERENCE == 4 ? 12 : 16;
    private static final int ARRAY_HEADER = REFERENCE == 4 ? 16 : 24;
    private static final int BOXED_NUMBER = align(HEADER + 8);
    /** A LocalDate: an int and two shorts. */
    private static final int DATE = align(HEADER + 8);
    /** A String without its bytes: hash, coder, a flag and the reference to its array. */
    private static final int STRING = align(HEADER + 4 + 1 + 1 + REFERENCE);
    /**
     * What a row costs besides its array: its LinkedHashMap entry (hash, key, value, next, before, after),
     * its boxed row id, about two slots of the map's table, and 8 bytes measured but not accounted for.
     */
    static final int ROW_OVERHEAD = align(HEADER + 4 + 5 * REFERENCE) + BOXED_NUMBER + 2 * REFERENCE + 8;
    /** One row in one equality index: a HashMap node, its boxed row id, about two table slots. */
    static final int INDEX_ENTRY = align(HEADER + 4 + 3 * REFERENCE) + BOXED_NUMBER + 2 * REFERENCE;
    /** A database, table, domain or view without its rows: names, maps, column lists. */
    static final int SCHEMA_OBJECT = 1024;

    private DataSizes() {}

    /** The heap one stored row takes, its map entry and id included. */
    static long row(Object[] row) {
        long bytes = ROW_OVERHEAD + align(ARRAY_HEADER + (long) REFERENCE * row.length);
        for (Object value : row) {
            bytes += value(value);
        }
        return bytes;
    }

    static long value(Object value) {
        if (value == null) {
            return 0;
        } else if (value instanceof String text) {
            return STRING + align(ARRAY_HEADER + (long) text.length() * (latin1(text) ? 1 : 2));
        } else if (value instanceof LocalDate) {
            return DATE;
        }
        return BOXED_NUMBER; // Long and Double
    }

    private static boolean latin1(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) > 0xFF) {
                return false;
            }
        }
        return true;
    }

    private static int align(int bytes) {
        return (bytes + 7) & ~7;
    }

    private static long align(long bytes) {
        return (bytes + 7) & ~7L;
    }

    private static boolean compressedReferences() {
        try {
            var hotspot = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            return hotspot == null || !"false".equals(hotspot.getVMOption("UseCompressedOops").getValue());
        } catch (RuntimeException | LinkageError e) {
            return Runtime.getRuntime().maxMemory() < (32L << 30); // another JVM: its default
        }
    }
}
