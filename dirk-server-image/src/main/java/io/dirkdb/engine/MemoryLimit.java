package io.dirkdb.engine;

import java.util.Locale;
import java.util.function.Supplier;

/**
 * How much of the heap a member's data may take before it refuses writes that add data ({@code --max-heap-share}).
 * The whole database lives in the heap, so a member that grew past it would die of OutOfMemoryError and die again
 * replaying its log at every restart; refusing earlier keeps it up, serving reads, deletes and drops.
 *
 * <p>Two figures decide, both cheap. First the engine's estimate of its data ({@link DataSizes}, kept per table by
 * every change): deterministic, so whether a write is refused does not depend on when the collector last ran, and
 * within a few percent of what the rows really take. Then, as a backstop for what the estimate misses (sessions,
 * results being sent, an unusual JVM), the heap still held after the last full collection (the live set: a JVM
 * collects fully when its heap is nearly exhausted), once it passes halfway between the share and the whole heap;
 * a change that frees data makes that figure stale until the next full collection. Neither the heap in use now
 * nor the figures of young collections decide: they count garbage not collected yet (after a young collection G1
 * reports its old generation garbage included), and a refusal on them could outlast the deletes meant to end it.
 *
 * <p>A secondary applies its primary's records up to halfway between the share and the whole heap: it must not stop
 * on a record its primary accepted because its own figures differ a little (it builds indexes for its own reads).
 * Past that it stops following, keeps every record it has, and says why in its heartbeat.
 */
public final class MemoryLimit {
    public static final double DEFAULT_MAX_HEAP_SHARE = 0.8;

    private final double maxHeapShare;
    private final long heapMax;
    private final Supplier<FullCollections.Last> lastFullCollection;

    private MemoryLimit(double maxHeapShare, long heapMax, Supplier<FullCollections.Last> lastFullCollection) {
        if (!(maxHeapShare > 0 && maxHeapShare <= 1)) {
            throw new IllegalArgumentException("the share of the heap must be above 0 and at most 1, got " + maxHeapShare);
        }
        this.maxHeapShare = maxHeapShare;
        this.heapMax = heapMax;
        this.lastFullCollection = lastFullCollection;
    }

    /** {@code maxHeapShare} of this JVM's maximum heap. */
    public static MemoryLimit ofHeapShare(double maxHeapShare) {
        return new MemoryLimit(maxHeapShare, Runtime.getRuntime().maxMemory(), FullCollections::last);
    }

    /** {@code maxHeapShare} of a heap of {@code heapMax} bytes, deciding on the data estimate alone (tests). */
    public static MemoryLimit ofHeap(double maxHeapShare, long heapMax) {
        return new MemoryLimit(maxHeapShare, heapMax, () -> FullCollections.Last.NONE);
    }

    /** For tests: a heap of {@code heapMax} bytes whose full collections are {@code lastFullCollection}. */
    static MemoryLimit of(double maxHeapShare, long heapMax, Supplier<FullCollections.Last> lastFullCollection) {
        return new MemoryLimit(maxHeapShare, heapMax, lastFullCollection);
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

    /**
     * Halfway between the share and the whole heap: the data past which a secondary stops applying its primary's
     * records, and the heap held after a collection past which writes are refused whatever the estimate says.
     */
    long replicationLimitBytes() {
        return heapMax == Long.MAX_VALUE ? Long.MAX_VALUE : (long) ((1 + maxHeapShare) / 2 * heapMax);
    }

    /** The latest full collection: the heap it left and its number. */
    FullCollections.Last lastFullCollection() {
        return lastFullCollection.get();
    }

    /**
     * Why a write adding {@code growth} bytes to {@code dataBytes} is refused, or null when it may go on; a full
     * collection numbered {@code staleUpTo} or lower happened before data was freed: its figure no longer counts.
     */
    String refusal(long dataBytes, long growth, long staleUpTo) {
        long limit = limitBytes();
        if (dataBytes + growth > limit) {
            return "this member refuses writes that add data: its data takes an estimated " + size(dataBytes)
                    + (growth > 0 ? " and this write would add " + size(growth) : "") + ", past its limit of "
                    + share() + ". " + WHAT_TO_DO;
        }
        FullCollections.Last collection = lastFullCollection();
        long backstop = replicationLimitBytes();
        if (collection.number() > staleUpTo && collection.heapAfter() > backstop) {
            return "this member refuses writes that add data: its heap still held " + size(collection.heapAfter())
                    + " after the last full garbage collection, past " + size(backstop) + " (halfway between its limit of "
                    + share() + " and the whole heap). " + WHAT_TO_DO;
        }
        return null;
    }

    /** Why this member is at its limit now (a write adding nothing would be refused), or null. */
    String pressure(long dataBytes, long staleUpTo) {
        return refusal(dataBytes, 0, staleUpTo);
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

    /**
     * Why a resync bringing a snapshot of {@code sourceDataBytes} (its source's estimate of its data) cannot be
     * installed here, or null: the snapshot is decoded while this member's own {@code ownDataBytes} are still held,
     * so both must fit below what a secondary applies, or the install runs out of heap half-way.
     */
    String resyncRefusal(long ownDataBytes, long sourceDataBytes) {
        long limit = replicationLimitBytes();
        if (sourceDataBytes + ownDataBytes <= limit) {
            return null;
        }
        return "its data takes an estimated " + size(sourceDataBytes) + (ownDataBytes > 0 ? " and this member's own "
                + size(ownDataBytes) + " stay in memory until the copy is installed, " : ", ")
                + "more than this member has room for: " + size(limit) + " (halfway between --max-heap-share "
                + trim(maxHeapShare) + " and the whole " + size(heapMax) + " heap). Give this member more memory (a "
                + "larger heap)" + (ownDataBytes > 0 ? ", or start it on an empty data directory," : "")
                + " then resync it";
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
}
