package io.dirkdb.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dirkdb.client.DirkConnection;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Watches members for two that take writes at once: every few milliseconds it asks each member its heartbeat
 * (directly, not through a relay the operator goes through) and calls it writable when it answers primary, ready,
 * with no expired lease and no bootstrap wait (what {@code checkWritable} refuses on). A pair counts only when the
 * first member is writable both before and after the second one was seen writable, so a hand-over between two
 * reads is not taken for an overlap.
 */
final class WritablePrimaries implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final LiveCluster live;
  private final List<String> pods;
  private final List<String> overlaps = new CopyOnWriteArrayList<>();
  private final List<String> errors = new CopyOnWriteArrayList<>();
  private final Map<String, DirkConnection> connections = new LinkedHashMap<>();
  private volatile boolean running = true;
  private volatile int rounds;
  private final Thread thread;

  WritablePrimaries(LiveCluster live, String... pods) {
    this.live = live;
    this.pods = List.of(pods);
    thread = new Thread(this::watch, "writable-primaries");
    thread.setDaemon(true);
    thread.start();
  }

  /** Instants at which two members took writes, described; empty when never seen. */
  List<String> overlaps() {
    return List.copyOf(overlaps);
  }

  /** Rounds in which every member answered. */
  int rounds() {
    return rounds;
  }

  private void watch() {
    while (running) {
      Map<String, String> first = new LinkedHashMap<>();
      for (String pod : pods) {
        first.put(pod, writable(pod));
      }
      List<String> writable = new ArrayList<>();
      first.forEach((pod, epoch) -> {
        if (epoch != null) {
          writable.add(pod);
        }
      });
      if (writable.size() > 1 && writable(writable.get(0)) != null) {
        overlaps.add(java.time.Instant.now() + ": " + first);
      }
      rounds++;
      try {
        Thread.sleep(5); // a sampling period, not a wait for a condition
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** "epoch E" when {@code pod} takes writes now, else null (also when it does not answer). */
  private String writable(String pod) {
    try {
      DirkConnection connection = connections.get(pod);
      if (connection == null) {
        connection = live.connect(pod);
        connections.put(pod, connection);
      }
      JsonNode beat = JSON.readTree(connection.execute("dirk heartbeat").messageText());
      boolean takesWrites = "primary".equals(beat.path("role").asText()) && beat.path("ready").asBoolean(true)
          && !beat.path("leaseExpired").asBoolean(false) && !beat.has("bootstrap");
      return takesWrites ? "epoch " + beat.path("epoch").asLong() : null;
    } catch (IOException | RuntimeException e) {
      DirkConnection broken = connections.remove(pod);
      if (broken != null) {
        try {
          broken.close();
        } catch (Exception ignored) {
          // already gone
        }
      }
      if (errors.size() < 20) {
        errors.add(pod + ": " + e.getMessage());
      }
      return null;
    }
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    thread.join(5000);
    for (DirkConnection connection : connections.values()) {
      try {
        connection.close();
      } catch (Exception ignored) {
        // already gone
      }
    }
  }
}
