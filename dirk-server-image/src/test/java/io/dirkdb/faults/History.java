package io.dirkdb.faults;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What happened during a fault run, as the clients and the heartbeat sampler saw it, one JSON
 * object a line: every write with its outcome, every heartbeat sample, every fault, and the rows
 * each member held at the end. Times are {@link System#nanoTime()} of the control node, the one
 * process that records operations and samples, so they compare with each other.
 */
final class History {
    static final ObjectMapper JSON = new ObjectMapper();

    /** ok: acknowledged; fail: certainly not applied (refused before it ran); unknown: may or may not be applied. */
    enum Outcome { OK, FAIL, UNKNOWN }

    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
    @JsonSubTypes({@JsonSubTypes.Type(value = Write.class, name = "write"),
            @JsonSubTypes.Type(value = Sample.class, name = "sample"),
            @JsonSubTypes.Type(value = Read.class, name = "read"),
            @JsonSubTypes.Type(value = FaultEvent.class, name = "fault"),
            @JsonSubTypes.Type(value = FinalRows.class, name = "final")})
    sealed interface Event permits Write, Read, Sample, FaultEvent, FinalRows {}

    /**
     * One unique write. {@code member} is null for a write through the proxy (the proxy does not say
     * which member took it); for a write sent straight to a member, the epoch that member reported on
     * the same connection just before ({@code epochBefore}) and just after ({@code epochAfter}, -1
     * when it did not answer).
     */
    record Write(String client, long value, long invokeNanos, long completeNanos, Outcome outcome, String member,
                 long epochBefore, long epochAfter, String error) implements Event {}

    /** A read through the proxy of a range of values, and what it returned (null values when it failed). */
    record Read(String client, long invokeNanos, long completeNanos, List<Long> values, String error)
            implements Event {}

    /** One heartbeat answer (or none: role {@code "down"}) of one member, seen from the clients' network. */
    record Sample(long nanos, String member, String role, long epoch, long lsn, boolean ready) implements Event {}

    /** A fault the test injected or healed, written to the history by the control node when told. */
    record FaultEvent(long nanos, String description) implements Event {}

    /** The values a member held at the end (null rows when it could not be read), with its heartbeat then. */
    record FinalRows(String member, String role, long epoch, long lsn, List<Long> values, String error)
            implements Event {}

    private History() {}

    /** Appends events to a file, one line each; safe for several threads. */
    static final class Recorder implements AutoCloseable {
        private final BufferedWriter out;

        Recorder(Path file) throws IOException {
            out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
        }

        synchronized void record(Event event) {
            try {
                out.write(JSON.writeValueAsString(event));
                out.newLine();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        synchronized void flush() throws IOException {
            out.flush();
        }

        @Override
        public synchronized void close() throws IOException {
            out.close();
        }
    }

    static List<Event> read(Path file) throws IOException {
        List<Event> events = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                events.add(JSON.readValue(line, Event.class));
            }
        }
        return events;
    }
}
