package io.dirkdb.engine;

/**
 * What a member's memory looks like now, for its heartbeat and metrics.
 *
 * @param dataBytes       the engine's estimate of the heap its data takes (rows, indexes, schema)
 * @param heapUsed        the heap in use now, garbage included
 * @param heapUsedAfterGc the heap held after the last full garbage collection (-1: none yet)
 * @param heapMax         the JVM's maximum heap
 * @param limitBytes      the data past which writes that add data are refused ({@code --max-heap-share} of heapMax)
 * @param maxHeapShare    that share
 * @param pressure        why writes that add data are refused now, or null when they are not
 * @param refusedWrites   writes refused for memory since the start
 */
public record MemoryStatus(long dataBytes, long heapUsed, long heapUsedAfterGc, long heapMax, long limitBytes,
                           double maxHeapShare, String pressure, long refusedWrites) {}
