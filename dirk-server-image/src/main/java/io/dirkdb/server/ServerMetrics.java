package io.dirkdb.server;

import io.dirkdb.sql.StatementKind;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** The meters of a member: what it is (role, epoch, LSN) and what it does (connections, statements, errors). */
final class ServerMetrics {
    private final Map<StatementKind, Counter> statements = new EnumMap<>(StatementKind.class);
    private final Counter errors;
    private final Counter refusedConnections;

    /** Gauges hold their object weakly: {@code activeConnections} and {@code member} must live as long as the server. */
    ServerMetrics(MeterRegistry registry, Member member, AtomicInteger activeConnections) {
        for (StatementKind kind : StatementKind.values()) {
            statements.put(kind, Counter.builder("dirk.server.statements").tag("kind", kind.name().toLowerCase())
                    .description("statements run, by kind").register(registry));
        }
        errors = Counter.builder("dirk.server.errors").description("requests answered with Hadisoana").register(registry);
        refusedConnections = Counter.builder("dirk.server.connections.refused")
                .description("connections refused past --max-connections").register(registry);
        Gauge.builder("dirk.server.connections", activeConnections, AtomicInteger::get)
                .description("client connections open now").register(registry);
        Gauge.builder("dirk.member.epoch", member, m -> m.state().epoch())
                .description("epoch of this member's role").register(registry);
        Gauge.builder("dirk.member.lsn", member, m -> m.database().lastLsn())
                .description("LSN of the last change applied").register(registry);
        for (Role role : Role.values()) {
            Gauge.builder("dirk.member.role", member, m -> m.state().role() == role ? 1 : 0).tag("role", role.wireName())
                    .description("1 for the role this member has now").register(registry);
        }
        if (member.database().memory() != null) {
            registerMemory(registry, member);
        }
    }

    private static void registerMemory(MeterRegistry registry, Member member) {
        Gauge.builder("dirk.member.data.bytes", member, m -> m.database().memory().dataBytes()).baseUnit("bytes")
                .description("estimated heap taken by the data (rows, indexes, schema)").register(registry);
        Gauge.builder("dirk.member.heap.used.bytes", member, m -> m.database().memory().heapUsed()).baseUnit("bytes")
                .description("heap in use now, garbage included").register(registry);
        Gauge.builder("dirk.member.heap.max.bytes", member, m -> m.database().memory().heapMax()).baseUnit("bytes")
                .description("the JVM's maximum heap").register(registry);
        Gauge.builder("dirk.member.heap.limit.bytes", member, m -> m.database().memory().limitBytes()).baseUnit("bytes")
                .description("data past which writes that add data are refused (--max-heap-share of the heap)")
                .register(registry);
        Gauge.builder("dirk.member.memory.pressure", member, m -> m.database().memory().pressure() == null ? 0 : 1)
                .description("1 while writes that add data are refused for memory").register(registry);
        FunctionCounter.builder("dirk.member.writes.refused.memory", member, m -> m.database().memory().refusedWrites())
                .description("writes (and replicated records) refused for memory").register(registry);
    }

    void statement(StatementKind kind) {
        statements.get(kind).increment();
    }

    void error() {
        errors.increment();
    }

    void refusedConnection() {
        refusedConnections.increment();
    }
}
