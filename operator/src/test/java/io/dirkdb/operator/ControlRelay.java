package io.dirkdb.operator;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay in front of one member, on the member's own address: the pod advertises it as its
 * {@code sql} port, so the operator reaches the member through it. While promotions are held, a
 * connection that sends {@code dirk promote} is cut before the statement arrives, as if the operator
 * had died just before sending it; everything else (heartbeats, fences, follows) passes unchanged.
 * It can also delay or swallow chunks holding given statements (a slow or cut-off member, as the
 * operator sees it) and records the control statements it relays.
 */
final class ControlRelay implements AutoCloseable {

  private static final byte[] PROMOTE = "dirk promote".getBytes(StandardCharsets.US_ASCII);
  private static final java.util.regex.Pattern CONTROL = java.util.regex.Pattern.compile(
      "(?i)dirk (promote|follow|fence|resync)[^;]*;");

  private final ServerSocket listener;
  private final String targetHost;
  private final int targetPort;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger promotionsCut = new AtomicInteger();
  private volatile boolean promotionsHeld;
  /** Statements (lower case, e.g. "dirk heartbeat") whose chunk is held this long before it is passed on. */
  private volatile Map<String, Duration> delayed = Map.of();
  /** Statements whose chunk is swallowed: the member never sees them, the sender waits for an answer in vain. */
  private volatile Set<String> dropped = Set.of();
  /** Once a chunk holding this statement passed, every later chunk towards the member is swallowed. */
  private volatile String cutAfter;
  private volatile boolean cut;
  /** Chunks swallowed by a {@link #cutAfter} cut. */
  private final AtomicInteger cutChunks = new AtomicInteger();
  /** The control statements (promote, follow, fence, resync) that passed towards the member, as sent. */
  private final List<String> controlStatements = new CopyOnWriteArrayList<>();

  private ControlRelay(ServerSocket listener, String targetHost, int targetPort) {
    this.listener = listener;
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    Thread acceptor = new Thread(this::accept, "relay-" + targetHost + ":" + targetPort);
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Listens on a free port of {@code host} and forwards to {@code host:port}. */
  static ControlRelay start(String host, int port) throws IOException {
    return new ControlRelay(new ServerSocket(0, 50, InetAddress.getByName(host)), host, port);
  }

  int port() {
    return listener.getLocalPort();
  }

  void holdPromotions(boolean held) {
    promotionsHeld = held;
  }

  /** Holds every chunk holding one of {@code statements} for {@code delay}: a slow member, or a slow network. */
  void delay(Duration delay, String... statements) {
    Map<String, Duration> next = new java.util.HashMap<>();
    for (String statement : statements) {
      next.put(statement.toLowerCase(java.util.Locale.ROOT), delay);
    }
    delayed = Map.copyOf(next);
  }

  /** Swallows every chunk holding one of {@code statements}: a member cut off from whoever sends them. */
  void drop(String... statements) {
    dropped = Set.of(statements).stream().map(t -> t.toLowerCase(java.util.Locale.ROOT))
        .collect(java.util.stream.Collectors.toUnmodifiableSet());
  }

  /**
   * Lets the next chunk holding {@code statement} through (its answer comes back), then swallows everything
   * sent towards the member: a member cut off from the operator right after it took that statement.
   */
  void cutAfter(String statement) {
    cutAfter = statement.toLowerCase(java.util.Locale.ROOT);
  }

  /** Ends a {@link #cutAfter} cut: chunks towards the member pass again (connections already broken stay so). */
  void heal() {
    cutAfter = null;
    cut = false;
  }

  /** Chunks a {@link #cutAfter} cut swallowed so far. */
  int cutChunks() {
    return cutChunks.get();
  }

  /** {@code dirk promote}, {@code follow}, {@code fence} and {@code resync} statements seen, in order. */
  List<String> controlStatements() {
    return List.copyOf(controlStatements);
  }

  /** Connections relayed so far: once above zero, the operator talks to the member through the relay. */
  int connections() {
    return connections.get();
  }

  int promotionsCut() {
    return promotionsCut.get();
  }

  private void accept() {
    while (!listener.isClosed()) {
      try {
        Socket client = listener.accept();
        // From the client's own address, as a network path would carry it: a primary takes a member's stream
        // only from that member's address.
        Socket member = new Socket(targetHost, targetPort, client.getInetAddress(), 0);
        open.add(client);
        open.add(member);
        connections.incrementAndGet();
        pump(client, member, true);
        pump(member, client, false);
      } catch (IOException e) {
        // closed, or the member is down: the caller sees its connection fail, as it would without the relay
      }
    }
  }

  private void pump(Socket from, Socket to, boolean towardsMember) {
    Thread pump = new Thread(() -> {
      byte[] buffer = new byte[8192];
      // The statement may straddle two reads: keep the end of the previous one in the search.
      byte[] window = new byte[0];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
          if (towardsMember) {
            String text = new String(buffer, 0, n, StandardCharsets.ISO_8859_1);
            String lower = text.toLowerCase(java.util.Locale.ROOT);
            java.util.regex.Matcher control = CONTROL.matcher(text);
            while (control.find()) {
              controlStatements.add(control.group());
            }
            if (cut) {
              cutChunks.incrementAndGet();
              continue; // never arrives
            }
            if (dropped.stream().anyMatch(lower::contains)) {
              continue; // never arrives
            }
            String last = cutAfter;
            if (last != null && lower.contains(last)) {
              cut = true; // this one arrives, nothing after it
            }
            Duration delay = delayed.entrySet().stream().filter(e -> lower.contains(e.getKey()))
                .map(Map.Entry::getValue).findFirst().orElse(Duration.ZERO);
            if (!delay.isZero()) {
              try {
                Thread.sleep(delay.toMillis()); // the relay plays a slow link: this is what it simulates
              } catch (InterruptedException e) {
                break;
              }
            }
          }
          if (towardsMember && promotionsHeld) {
            byte[] joined = new byte[window.length + n];
            System.arraycopy(window, 0, joined, 0, window.length);
            System.arraycopy(buffer, 0, joined, window.length, n);
            if (contains(joined, PROMOTE)) {
              promotionsCut.incrementAndGet();
              break;
            }
            int keep = Math.min(joined.length, PROMOTE.length - 1);
            window = java.util.Arrays.copyOfRange(joined, joined.length - keep, joined.length);
          }
          out.write(buffer, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // one side went away: close both below
      } finally {
        closeQuietly(from);
        closeQuietly(to);
      }
    }, "relay-pump");
    pump.setDaemon(true);
    pump.start();
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (Character.toLowerCase(haystack[i + j]) != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  private void closeQuietly(Socket socket) {
    open.remove(socket);
    try {
      socket.close();
    } catch (IOException ignored) {
      // already closed
    }
  }

  @Override
  public void close() {
    try {
      listener.close();
    } catch (IOException ignored) {
      // already closed
    }
    open.forEach(this::closeQuietly);
  }
}
