package io.dirkdb.replication.supervisor;

import io.dirkdb.DirkException;
import io.dirkdb.client.DirkConnection;
import io.dirkdb.heartbeat.HeartbeatProbe;
import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.protocol.Reply;
import io.dirkdb.protocol.tls.TlsSettings;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * {@link MemberControl} over the DirkDB protocol: heartbeats through a {@link HeartbeatProbe} per
 * member (its connection kept between rounds), role changes on a short-lived connection of their
 * own, authenticated with {@code dirk auth} when the members require a password.
 */
public final class NetworkMemberControl implements MemberControl {
    private final int heartbeatTimeoutMillis;
    private final int controlTimeoutMillis;
    private final String password;
    private final java.util.List<String> fallbackPasswords;
    /** The TLS toward each member (null: plain TCP). */
    private final Function<MemberAddress, TlsSettings> tls;
    private final Map<String, HeartbeatProbe> probes = new ConcurrentHashMap<>();

    /**
     * @param heartbeatTimeoutMillis a heartbeat slower than this counts as missed
     * @param controlTimeoutMillis bounds connecting for, and the answer to, fence, promote and follow
     * @param password the administration password, sent with {@code dirk auth} before a control statement and on
     *                 the heartbeat connections (renewing a primary's lease needs it); null for none
     */
    public NetworkMemberControl(int heartbeatTimeoutMillis, int controlTimeoutMillis, String password) {
        this(heartbeatTimeoutMillis, controlTimeoutMillis, password, (MemberAddress member) -> null);
    }

    /** As above, over TLS with {@code tls} (null: plain TCP); with mutual TLS its certificate is presented. */
    public NetworkMemberControl(int heartbeatTimeoutMillis, int controlTimeoutMillis, String password, TlsSettings tls) {
        this(heartbeatTimeoutMillis, controlTimeoutMillis, password, (MemberAddress member) -> tls);
    }

    /** As above, with TLS settings of their own for each member (the name its certificate must carry). */
    public NetworkMemberControl(int heartbeatTimeoutMillis, int controlTimeoutMillis, String password,
            Function<MemberAddress, TlsSettings> tls) {
        this(heartbeatTimeoutMillis, controlTimeoutMillis, password, null, tls);
    }

    /**
     * As above; {@code fallbackPasswords} (maybe empty) are tried in turn when a member refuses {@code password}: the
     * previous administration password of a rotation (a member not restarted since), then the application one (a
     * member not yet restarted with separate credentials, an upgrade from a single password).
     */
    public NetworkMemberControl(int heartbeatTimeoutMillis, int controlTimeoutMillis, String password,
            java.util.List<String> fallbackPasswords, Function<MemberAddress, TlsSettings> tls) {
        this.fallbackPasswords = fallbackPasswords == null ? java.util.List.of() : java.util.List.copyOf(fallbackPasswords);
        this.tls = tls;
        this.heartbeatTimeoutMillis = heartbeatTimeoutMillis;
        this.controlTimeoutMillis = controlTimeoutMillis;
        this.password = password;
    }

    @Override
    public HeartbeatReport heartbeat(MemberAddress member) throws IOException {
        return heartbeat(member, -1);
    }

    @Override
    public HeartbeatReport heartbeat(MemberAddress member, long leaseEpoch) throws IOException {
        HeartbeatProbe probe = probes.computeIfAbsent(member.id(), id -> new HeartbeatProbe(member, heartbeatTimeoutMillis,
                tls.apply(member), password, fallbackPasswords));
        synchronized (probe) {
            return probe.probe(leaseEpoch);
        }
    }

    @Override
    public String fence(MemberAddress member) throws IOException {
        return run(member, "dirk fence;");
    }

    /**
     * The word a member older than {@code dirk fence hold} stops at: it parses the whole request before running any, so
     * such an answer means nothing was fenced.
     */
    static final String OLD_MEMBER_REFUSES_HOLD = "expected the end of the statement but found 'hold'";

    @Override
    public String fenceHeld(MemberAddress member) throws IOException {
        java.util.Optional<String> held = held(member);
        // A member older than held fences (a rolling upgrade): the user's fence matters more than its step-down's shortcut.
        return held.isPresent() ? held.get() : run(member, "dirk fence;");
    }

    @Override
    public boolean holdFence(MemberAddress member) throws IOException {
        return held(member).isPresent();
    }

    /** {@code dirk fence hold;}'s answer; empty when the member is too old to know it (nothing was fenced). */
    private java.util.Optional<String> held(MemberAddress member) throws IOException {
        try {
            return java.util.Optional.of(run(member, "dirk fence hold;"));
        } catch (DirkException e) {
            if (e.getMessage() == null || !e.getMessage().contains(OLD_MEMBER_REFUSES_HOLD)) {
                throw e;
            }
            return java.util.Optional.empty();
        }
    }

    @Override
    public String fence(MemberAddress member, long epoch) throws IOException {
        return run(member, "dirk fence epoch " + epoch + ";");
    }

    @Override
    public String promote(MemberAddress member, long epoch) throws IOException {
        return run(member, "dirk promote " + epoch + ";");
    }

    @Override
    public String follow(MemberAddress member, MemberAddress primary) throws IOException {
        return follow(member, primary, null);
    }

    @Override
    public String promote(MemberAddress member, long epoch, String historyId) throws IOException {
        return run(member, "dirk promote " + epoch + history(historyId) + ";");
    }

    @Override
    public String follow(MemberAddress member, MemberAddress primary, String historyId) throws IOException {
        return run(member, "dirk follow " + DirkConnection.quote(primary.host()) + " " + primary.port()
                + history(historyId) + ";");
    }

    private static String history(String historyId) {
        return historyId == null ? "" : " history " + DirkConnection.quote(historyId);
    }

    @Override
    public String resync(MemberAddress member, MemberAddress primary) throws IOException {
        return run(member, "dirk resync " + DirkConnection.quote(primary.host()) + " " + primary.port() + ";");
    }

    private String run(MemberAddress member, String statement) throws IOException {
        try (DirkConnection connection = DirkConnection.open(tls.apply(member), member.host(), member.port(), controlTimeoutMillis)) {
            if (password != null) {
                Reply auth = connection.authenticate(password, fallbackPasswords);
                if (auth.isError()) {
                    throw new DirkException(member + " refused the supervisor's password: " + auth.errorMessage());
                }
            } else {
                // An answer before the request: a promote's lease counts from it (one with none starts expired).
                Reply heartbeat = connection.execute("dirk heartbeat;");
                if (heartbeat.isError()) {
                    throw new DirkException(member + " refused a heartbeat: " + heartbeat.errorMessage());
                }
            }
            Reply reply = connection.execute(statement);
            if (reply.isError()) {
                throw new DirkException(reply.errorMessage());
            }
            return reply.messageText();
        }
    }

    @Override
    public void close() {
        probes.values().forEach(probe -> {
            synchronized (probe) {
                probe.close();
            }
        });
        probes.clear();
    }
}
