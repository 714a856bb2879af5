package io.dirkdb.replication;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** The member's meters (Prometheus names in docs/replication-protocol.md). */
final class ReplicationMetrics {
    private final Counter shippedRaw;
    private final Counter shippedCompressed;
    private final Counter receivedRaw;
    private final Counter receivedCompressed;
    private final Timer ackLatency;

    ReplicationMetrics(MeterRegistry registry, Supplier<Number> lagLsn, Supplier<Number> lagMillis) {
        shippedRaw = Counter.builder("dirk.replication.shipped.bytes").baseUnit("bytes")
                .description("log bytes shipped to secondaries").tag("form", "raw").register(registry);
        shippedCompressed = Counter.builder("dirk.replication.shipped.bytes").baseUnit("bytes")
                .description("log bytes shipped to secondaries").tag("form", "compressed").register(registry);
        receivedRaw = Counter.builder("dirk.replication.received.bytes").baseUnit("bytes")
                .description("log bytes received from the primary").tag("form", "raw").register(registry);
        receivedCompressed = Counter.builder("dirk.replication.received.bytes").baseUnit("bytes")
                .description("log bytes received from the primary").tag("form", "compressed").register(registry);
        Gauge.builder("dirk.replication.compression.ratio", this, m -> m.compressionRatio())
                .description("raw / compressed bytes shipped (1 before anything is shipped)").register(registry);
        Gauge.builder("dirk.replication.lag.lsn", lagLsn).description("records the primary has that this secondary lacks")
                .register(registry);
        Gauge.builder("dirk.replication.lag.ms", lagMillis)
                .description("time since the newest applied record was written on the primary (0 when caught up)")
                .register(registry);
        ackLatency = Timer.builder("dirk.replication.ack.latency")
                .description("from a write's commit on the primary to its first secondary acknowledgement")
                .publishPercentiles(0.5, 0.99).register(registry);
    }

    void shipped(long raw, long compressed) {
        shippedRaw.increment(raw);
        shippedCompressed.increment(compressed);
    }

    void received(long raw, long compressed) {
        receivedRaw.increment(raw);
        receivedCompressed.increment(compressed);
    }

    void acknowledged(long nanos) {
        ackLatency.record(nanos, TimeUnit.NANOSECONDS);
    }

    double compressionRatio() {
        double compressed = shippedCompressed.count() > 0 ? shippedCompressed.count() : receivedCompressed.count();
        double raw = shippedCompressed.count() > 0 ? shippedRaw.count() : receivedRaw.count();
        return compressed == 0 ? 1 : raw / compressed;
    }

    long shippedRawBytes() {
        return (long) shippedRaw.count();
    }

    long shippedCompressedBytes() {
        return (long) shippedCompressed.count();
    }

    Timer ackLatency() {
        return ackLatency;
    }
}
