package io.dirkdb.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Hostile or sleepy clients of a listener: sockets that hold a slot without finishing a request. */
public final class IdleClients {
    private IdleClients() {
    }

    /** {@code count} connections that each start a request and never finish it (slowloris). */
    public static List<RawClient> halfSentRequests(InetSocketAddress address, int count) throws IOException {
        List<RawClient> clients = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            RawClient client = new RawClient(address);
            client.send("alaivo * ao@ ");
            clients.add(client);
        }
        return clients;
    }

    /**
     * Connects and asks {@code request} until a reply that is not a "too many connections" refusal
     * comes, for at most {@code within}; that reply, or an AssertionError.
     */
    public static String askUntilServed(InetSocketAddress address, String request, Duration within)
            throws IOException {
        long deadline = System.nanoTime() + within.toNanos();
        String last = "nothing";
        while (System.nanoTime() - deadline < 0) {
            try (RawClient client = new RawClient(address)) {
                client.socket().setSoTimeout((int) Math.max(1, within.toMillis()));
                last = client.ask(request);
                if (!last.contains("too many connections")) {
                    return last;
                }
            } catch (IOException e) {
                last = e.toString(); // refused and closed before the request was read
            }
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(50).toNanos()); // retry interval
        }
        throw new AssertionError("no answer within " + within + "; last: " + last);
    }

    /** The reason the server gave when it closed {@code client}, after checking that it did close. */
    public static String closingReason(RawClient client, Duration within) throws IOException {
        client.socket().setSoTimeout((int) within.toMillis());
        String reason = client.reply();
        if (client.socket().getInputStream().read() != -1) {
            throw new AssertionError("the connection stayed open after: " + reason);
        }
        return reason;
    }

    public static void closeAll(List<RawClient> clients) throws IOException {
        for (RawClient client : clients) {
            client.close();
        }
    }
}
