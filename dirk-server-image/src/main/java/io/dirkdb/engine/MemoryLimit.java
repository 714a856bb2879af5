package io.dirkdb.engine;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * How much of the heap a member's data may take before it refuses writes that add data ({@code --max-heap-share}).
 * The whole database lives in the heap, so a member that grew past it would die of OutOfMemoryError and die again
 * replaying its log at every restart; refusing earlier keeps it up, serving reads, deletes and drops.
 *
 * <p>Two figures decide, both cheap: the engine's estimate of its data ({@link DataSizes}, kept per table by every
 * change: deterministic, so a refusal does not depend on when the collector last ran), and the heap the JVM still
 * held after its last garbage collection (what the estimate misses: sessions, results being sent, the collector's
 * own slack). The heap in use right now is not one of them: it swings with garbage not yet collected.
 *
 * <p>A secondary applies its primary's records up to halfway between the share and the whole heap: it must not stop
 * on a record its primary accepted because its own figures differ a little (it builds indexes for its own reads).
 * Past that it stops following, keeps every record it has, and says why in its heartbeat.
 */
public final class MemoryLimit {
    public static final double DEFAULT_MAX_HEAP_SHARE = 0.8;

    private final double maxHeapShare;
    private final long heapMax;
    private final LongSupplier heapUsedAfterGc;

    private MemoryLimit(double maxHeapShare, long heapMax, LongSupplier heapUsedAfterGc) {
        if (!(maxHeapShare > 0 && maxHeapShare <= 1)) {
            throw new IllegalArgumentException("the share of the heap must be above 0 and at most 1, got " + maxHeapShare);
        }
        this.maxHeapShare = maxHeapShare;
        this.heapMax = heapMax;
        this.heapUsedAfterGc = heapUsedAfterGc;
    }

    /** {@code maxHeapShare} of this JVM's maximum heap. */
    public static MemoryLimit ofHeapShare(double maxHeapShare) {
        return new MemoryLimit(maxHeapShare, Runtime.getRuntime().maxMemory(), MemoryLimit::jvmHeapUsedAfterGc);
    }

    /** {@code maxHeapShare} of a heap of {@code heapMax} bytes, deciding on the data estimate alone (tests). */
    public static MemoryLimit ofHeap(double maxHeapShare, long heapMax) {
        return new MemoryLimit(maxHeapShare, heapMax, () -> -1);
    }

    /** For tests: a heap of {@code heapMax} bytes that held {@code heapUsedAfterGc} after its last collection. */
    static MemoryLimit of(double maxHeapShare, long heapMax, LongSupplier heapUsedAfterGc) {
        return new MemoryLimit(maxHeapShare, heapMax, heapUsedAfterGc);
    }

    public double maxHeapShare() {
        return maxHeapShare;
    }

    /** The JVM's maximum heap (Long.MAX_VALUE when it has none: then nothing is refused). */
    public long heapMax() {
        return heapMax;
    }

    /** The bytes of data past which client writes that add data are refused. */
    public long limitBytes() {
        return heapMax == Long.MAX_VALUE ? Long.MAX_VALUE : (long) (maxHeapShare * heapMax);
    }

    /** The bytes of data past which a secondary stops applying its primary's records. */
    long replicationLimitBytes() {
        return heapMax == Long.MAX_VALUE ? Long.MAX_VALUE : (long) ((1 + maxHeapShare) / 2 * heapMax);
    }

    /** The heap held after the last collection, or -1 when the JVM does not say. */
    public long heapUsedAfterGc() {
        return heapUsedAfterGc.getAsLong();
    }

    /** Why a write adding {@code growth} bytes to {@code dataBytes} is refused, or null when it may go on. */
    String refusal(long dataBytes, long growth) {
        long limit = limitBytes();
        if (dataBytes + growth > limit) {
            return "this member refuses writes that add data: its data takes an estimated " + size(dataBytes)
                    + (growth > 0 ? " and this write would add " + size(growth) : "") + ", past its limit of "
                    + share() + ". " + WHAT_TO_DO;
        }
        long afterGc = heapUsedAfterGc();
        if (afterGc > limit) {
            return "this member refuses writes that add data: its heap still held " + size(afterGc)
                    + " after the last garbage collection, past its limit of " + share() + ". " + WHAT_TO_DO;
        }
        return null;
    }

    /** Why this member is at its limit now (a write adding nothing would be refused), or null. */
    String pressure(long dataBytes) {
        return refusal(dataBytes, 0);
    }

    /** Why a secondary cannot apply a record adding {@code growth} bytes, or null when it can. */
    String replicationRefusal(long dataBytes, long growth, long lsn) {
        long limit = replicationLimitBytes();
        if (dataBytes + growth <= limit) {
            return null;
        }
        return "this secondary stopped following before log record " + lsn + ": its data takes an estimated "
                + size(dataBytes) + " and the record would add " + size(growth) + ", past " + size(limit)
                + " (halfway between --max-heap-share " + trim(maxHeapShare) + " and the whole " + size(heapMax)
                + " heap); it keeps every record it has. Give it as much memory as its primary (a larger heap), then "
                + "it resumes";
    }

    private static final String WHAT_TO_DO = "Reads, deletes and drops go on. Delete data, or give the member more "
            + "memory (a larger container memory limit or -Xmx), or raise --max-heap-share";

    private String share() {
        return Math.round(maxHeapShare * 100) + "% of its " + size(heapMax) + " heap (" + size(limitBytes())
                + ", --max-heap-share " + trim(maxHeapShare) + ")";
    }

    private static String trim(double share) {
        String text = String.format(Locale.ROOT, "%.4f", share);
        return text.replaceAll("0+$", "").replaceAll("\\.$", "");
    }

    /** Bytes as a person reads them: bytes, KiB or MiB. */
    static String size(long bytes) {
        if (bytes < 10L << 10) {
            return bytes + " bytes";
        }
        if (bytes < 10L << 20) {
            return (bytes >> 10) + " KiB";
        }
        return (bytes >> 20) + " MiB";
    }

    /**
     * The heap pools' usage after their latest collection (what survived it), summed; -1 when no pool reports one.
     * A pool that was never collected reports 0, which only makes this figure lower: it never refuses by mistake.
     */
    static long jvmHeapUsedAfterGc() {
        long total = 0;
        boolean any = false;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() != MemoryType.HEAP || !pool.isValid()) {
                continue;
            }
            MemoryUsage afterGc = pool.getCollectionUsage();
            if (afterGc != null) {
                total += afterGc.getUsed();
                any = true;
            }
        }
        return any ? total : -1;
    }
}
