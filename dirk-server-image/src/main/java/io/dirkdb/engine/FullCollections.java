package io.dirkdb.engine;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

/**
 * The heap held after the JVM's latest full collection: the live set, garbage excluded. Young collections are
 * ignored on purpose: after one, G1 and the others report their old generation as it is, garbage included.
 */
final class FullCollections {
    /** @param number full collections seen since this JVM started (0: none yet, then heapAfter is -1) */
    record Last(long heapAfter, long number) {
        static final Last NONE = new Last(-1, 0);
    }

    private static final AtomicReference<Last> LAST = new AtomicReference<>(Last.NONE);
    private static volatile boolean listening;

    private FullCollections() {}

    static Last last() {
        listen();
        return LAST.get();
    }

    private static synchronized void listen() {
        if (listening) {
            return;
        }
        listening = true;
        try {
            for (GarbageCollectorMXBean collector : ManagementFactory.getGarbageCollectorMXBeans()) {
                if (collector instanceof NotificationEmitter emitter) {
                    emitter.addNotificationListener((notification, handback) -> {
                        if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
                            record(GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData()));
                        }
                    }, null, null);
                }
            }
        } catch (RuntimeException | LinkageError e) {
            // Not a HotSpot JVM: no backstop, the data estimate alone decides.
            System.getLogger(FullCollections.class.getName()).log(System.Logger.Level.INFO,
                    "garbage collections cannot be watched here; the data estimate alone limits writes", e);
        }
    }

    private static void record(GarbageCollectionNotificationInfo info) {
        if (!info.getGcAction().contains("major")) {
            return;
        }
        long heap = 0;
        Map<String, MemoryUsage> after = info.getGcInfo().getMemoryUsageAfterGc();
        for (var pool : ManagementFactory.getMemoryPoolMXBeans()) {
            MemoryUsage usage = pool.getType() == MemoryType.HEAP ? after.get(pool.getName()) : null;
            if (usage != null) {
                heap += usage.getUsed();
            }
        }
        long total = heap;
        LAST.updateAndGet(previous -> new Last(total, previous.number() + 1));
    }
}
