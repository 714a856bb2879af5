package io.dirkdb.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dirkdb.DirkException;
import io.dirkdb.engine.Result;
import io.dirkdb.sql.ControlStatement;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * One member of a cluster: its database, its role and its epoch. Role changes are persisted
 * before they are acknowledged, and handed to the database, which checks them under its write
 * lock (a write racing a fence either finishes before it or is refused).
 */
public final class Member implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String id;
    private final Database database;
    private final Path dataDirectory; // null: state kept in memory only (tests)
    private volatile MemberState state;
    private volatile boolean ready = true;
    private volatile ReplicationLink replication = ReplicationLink.NONE;

    private Member(String id, Database database, Path dataDirectory, MemberState state) {
        this.id = id;
        this.database = database;
        this.dataDirectory = dataDirectory;
        this.state = state;
    }

    /**
     * Starts a member on {@code dataDirectory}: the role and epoch saved there win over
     * {@code configuredRole}, which only decides the start of a fresh directory.
     */
    public static Member start(String id, Database database, Path dataDirectory, Role configuredRole) {
        MemberState state = dataDirectory == null ? null : MemberState.load(dataDirectory);
        if (state == null) {
            state = MemberState.initial(configuredRole);
            if (dataDirectory != null) {
                persist(dataDirectory, state);
            }
        }
        Member member = new Member(id, database, dataDirectory, state);
        member.applyToDatabase(state);
        return member;
    }

    public String id() {
        return id;
    }

    public Database database() {
        return database;
    }

    public MemberState state() {
        return state;
    }

    public boolean isReady() {
        return ready;
    }

    /** Connects replication and tells it the current role (a secondary starts following). */
    public synchronized void attachReplication(ReplicationLink link) {
        replication = link;
        link.roleChanged(state);
    }

    public ReplicationLink replication() {
        return replication;
    }

    /**
     * True while the member is up and can serve its role: a primary accepting writes, a secondary
     * streaming and not diverged (the HTTP readiness probe). The heartbeat's {@code "ready"} stays
     * "up and not stopping", so a failover still sees secondaries whose primary is gone.
     */
    public boolean servesRole() {
        MemberState current = state;
        if (!ready || current.role() == Role.FENCED || database.storageFailure() != null) {
            return false;
        }
        return current.role() == Role.PRIMARY ? database.writesAllowed() : replication.ready();
    }

    /**
     * Records that a record or a peer carried {@code epoch}, so a later promotion must exceed it; a
     * secondary also takes it as the epoch it reports (the epoch of the primary it follows), so a
     * failover computes the next epoch from it. Epochs only go up: a lower one changes nothing.
     */
    public synchronized void observeEpoch(long epoch) {
        MemberState current = state;
        boolean follower = current.role() == Role.SECONDARY;
        if (epoch <= current.highestEpochSeen() && (!follower || epoch <= current.epoch())) {
            return;
        }
        MemberState next = new MemberState(current.role(), follower ? Math.max(current.epoch(), epoch) : current.epoch(),
                Math.max(epoch, current.highestEpochSeen()), current.primaryHost(), current.primaryPort());
        save(next);
        state = next;
    }

    /**
     * A primary that learns of a higher epoch steps down (fenced): another member was promoted, so
     * writes here would fork the history.
     */
    public synchronized void stepDown(long higherEpoch) {
        MemberState current = state;
        if (current.role() != Role.PRIMARY || higherEpoch <= current.epoch()) {
            return;
        }
        MemberState next = new MemberState(Role.FENCED, current.epoch(), Math.max(higherEpoch,
                current.highestEpochSeen()), null, 0);
        database.refuseWrites(refusal(next));
        state = next;
        save(next);
        replication.roleChanged(next);
    }

    /** Marks the member as going away: heartbeats then say {@code "ready":false}. */
    void markNotReady() {
        ready = false;
    }

    /** @throws DirkException unless this member is the primary */
    public void checkWritable() {
        MemberState current = state;
        if (current.role() != Role.PRIMARY) {
            throw new DirkException(refusal(current));
        }
    }

    /** Runs a control statement other than {@code dirk auth} (which belongs to the connection). */
    public Result control(ControlStatement statement) {
        if (statement instanceof ControlStatement.Heartbeat) {
            return new Result.Message(heartbeat());
        }
        if (statement instanceof ControlStatement.Promote promote) {
            return new Result.Message(promote(promote.epoch()));
        }
        if (statement instanceof ControlStatement.Fence) {
            return new Result.Message(fence());
        }
        if (statement instanceof ControlStatement.Follow follow) {
            return new Result.Message(follow(follow.host(), follow.port()));
        }
        if (statement instanceof ControlStatement.Resync resync) {
            if (state.role() == Role.PRIMARY) {
                throw new DirkException("this member is the primary (epoch " + state.epoch()
                        + "); fence it before rebuilding it by a resync");
            }
            return new Result.Message(replication.resync(resync.host(), resync.port(), resync.deflate()));
        }
        if (statement instanceof ControlStatement.Stream || statement instanceof ControlStatement.Snapshot) {
            throw new DirkException("dirk stream and dirk snapshot must be the first request after authentication "
                    + "on a connection of their own");
        }
        throw new IllegalArgumentException("not a member control statement: " + statement);
    }

    /** The heartbeat answer: one line of JSON with id, role, epoch, last LSN and readiness. */
    public String heartbeat() {
        MemberState current = state;
        ObjectNode node = JSON.createObjectNode();
        node.put("id", id);
        node.put("role", current.role().wireName());
        node.put("epoch", current.epoch());
        node.put("lsn", database.lastLsn());
        String storageFailure = database.storageFailure();
        node.put("ready", ready && storageFailure == null);
        if (storageFailure != null) {
            node.put("storageFailure", storageFailure);
        }
        replication.describe(node);
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public synchronized String promote(long epoch) {
        MemberState current = state;
        if (epoch <= current.highestEpochSeen()) {
            throw new DirkException("cannot promote to epoch " + epoch + ": this member has already seen epoch "
                    + current.highestEpochSeen() + " (the new epoch must be higher)");
        }
        MemberState next = new MemberState(Role.PRIMARY, epoch, epoch, null, 0);
        save(next);
        state = next;
        // Following stops (and its last batch lands) before the first client write is let in.
        replication.roleChanged(next);
        database.allowWrites(epoch);
        return "primary at epoch " + epoch;
    }

    public synchronized String fence() {
        MemberState current = state;
        MemberState next = new MemberState(Role.FENCED, current.epoch(), current.highestEpochSeen(), null, 0);
        // Refuse first: no write may be acknowledged after the fence is.
        database.refuseWrites(refusal(next));
        state = next;
        save(next);
        replication.roleChanged(next);
        return "fenced at epoch " + next.epoch() + ": writes are refused";
    }

    public synchronized String follow(String host, int port) {
        if (host == null || host.isBlank() || port < 1 || port > 65535) {
            throw new DirkException("dirk follow needs a host and a port between 1 and 65535");
        }
        MemberState current = state;
        MemberState next = new MemberState(Role.SECONDARY, current.epoch(), current.highestEpochSeen(), host, port);
        database.refuseWrites(refusal(next));
        state = next;
        save(next);
        replication.roleChanged(next);
        return "secondary at epoch " + next.epoch() + ", following " + host + ":" + port;
    }

    /** Follows {@code host:port} unless this member is the primary now (a resync ending after a promotion). */
    public synchronized boolean followUnlessPrimary(String host, int port) {
        if (state.role() == Role.PRIMARY) {
            return false;
        }
        follow(host, port);
        return true;
    }

    @Override
    public void close() {
        replication.close();
        database.close();
    }

    private void applyToDatabase(MemberState current) {
        if (current.role() == Role.PRIMARY) {
            database.allowWrites(current.epoch());
        } else {
            database.refuseWrites(refusal(current));
        }
    }

    static String refusal(MemberState state) {
        String what = state.role() == Role.FENCED ? "fenced" : "a " + state.role().wireName();
        return "this member is " + what + " (epoch " + state.epoch() + "): writes go to the primary";
    }

    private void save(MemberState next) {
        if (dataDirectory != null) {
            persist(dataDirectory, next);
        }
    }

    private static void persist(Path dataDirectory, MemberState state) {
        try {
            state.save(dataDirectory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the member state in " + dataDirectory, e);
        }
    }
}
