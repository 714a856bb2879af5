package io.dirkdb.replication.supervisor;

import io.dirkdb.DirkException;
import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.heartbeat.MemberAddress;
import java.io.IOException;
import java.net.ConnectException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Members that exist only in memory: the test decides who answers, and every role change is recorded. */
final class FakeMembers implements MemberControl {
    static final class Fake {
        final MemberAddress address;
        boolean answering = true;
        /** False: heartbeats time out (a slow member) while control statements are still answered. */
        boolean heartbeatsAnswered = true;
        /** Runs when the member is fenced, before it answers: what happened meanwhile elsewhere. */
        Runnable whileFencing = () -> {};
        long acknowledgedLsn = -1; // what its fence answer says; -1: its LSN
        /** Runs before it answers a heartbeat: e.g. records streamed from a primary the supervisor cannot reach. */
        Runnable beforeHeartbeat = () -> {};
        /** True: it answers heartbeats but its answer to {@code dirk fence} never comes. */
        boolean fenceTimesOut;
        /** True: {@code dirk fence} reaches it and is carried out, but its answer is lost. */
        boolean fenceAnswerLost;
        long leaseMillis; // the lease its heartbeat says while primary (0: none)
        String role;
        long epoch;
        long highestEpochSeen;
        long lsn;
        boolean diverged;
        String following; // host:port of the primary it says it follows
        String historyId; // null: it does not say
        /** Non-null: its log write failed (a full disk); it says ready:false until a resync rebuilds it. */
        String storageFailure;
        /** True while its disk is still full: a resync fails. */
        boolean diskFull;

        Fake(MemberAddress address, String role, long epoch, long lsn) {
            this.address = address;
            this.role = role;
            this.epoch = epoch;
            this.highestEpochSeen = epoch;
            this.lsn = lsn;
        }
    }

    final Map<String, Fake> members = new LinkedHashMap<>();
    /** Role changes asked for, in order, e.g. {@code fence m1}, {@code promote m2 2}, {@code follow m3 m2}. */
    final List<String> actions = new ArrayList<>();
    /** The history clause of each promotion, in order, e.g. {@code m1 <history id>} ({@code null}: none sent). */
    final List<String> promotedWithHistory = new ArrayList<>();

    FakeMembers add(String id, String role, long epoch, long lsn) {
        MemberAddress address = new MemberAddress(id, "127.0.0.1", 4000 + members.size());
        members.put(id, new Fake(address, role, epoch, lsn));
        return this;
    }

    Fake get(String id) {
        return members.get(id);
    }

    List<MemberAddress> addresses() {
        return members.values().stream().map(f -> f.address).toList();
    }

    private Fake reachable(MemberAddress address) throws IOException {
        Fake fake = members.get(address.id());
        if (!fake.answering) {
            throw new ConnectException("connection refused");
        }
        return fake;
    }

    @Override
    public synchronized HeartbeatReport heartbeat(MemberAddress member) throws IOException {
        Fake fake = reachable(member);
        if (!fake.heartbeatsAnswered) {
            throw new java.net.SocketTimeoutException("heartbeat timed out");
        }
        fake.beforeHeartbeat.run();
        return new HeartbeatReport(fake.role, fake.epoch, fake.lsn, fake.storageFailure == null, fake.diverged, false,
                fake.following, fake.historyId, HeartbeatReport.PRIMARY.equals(fake.role) ? fake.leaseMillis : 0,
                fake.storageFailure);
    }

    @Override
    public synchronized String fence(MemberAddress member) throws IOException {
        actions.add("fence " + member.id());
        Fake fake = reachable(member);
        if (fake.fenceTimesOut) {
            throw new java.net.SocketTimeoutException("dirk fence timed out");
        }
        fake.whileFencing.run();
        fake.role = HeartbeatReport.FENCED;
        fake.following = null; // a fenced member follows nobody
        if (fake.fenceAnswerLost) {
            throw new java.net.SocketTimeoutException("the answer to dirk fence never came");
        }
        return new io.dirkdb.heartbeat.FenceReport(fake.epoch, fake.lsn,
                fake.acknowledgedLsn < 0 ? fake.lsn : fake.acknowledgedLsn).message();
    }

    @Override
    public synchronized String promote(MemberAddress member, long epoch) throws IOException {
        actions.add("promote " + member.id() + " " + epoch);
        Fake fake = reachable(member);
        if (epoch <= fake.highestEpochSeen) {
            throw new DirkException("epoch " + epoch + " already seen");
        }
        fake.role = HeartbeatReport.PRIMARY;
        fake.epoch = epoch;
        fake.highestEpochSeen = epoch;
        return "primary at epoch " + epoch;
    }

    @Override
    public synchronized String promote(MemberAddress member, long epoch, String historyId) throws IOException {
        promotedWithHistory.add(member.id() + " " + historyId);
        return promote(member, epoch);
    }

    @Override
    public synchronized String follow(MemberAddress member, MemberAddress primary) throws IOException {
        actions.add("follow " + member.id() + " " + primary.id());
        Fake fake = reachable(member);
        fake.role = HeartbeatReport.SECONDARY;
        fake.following = primary.host() + ":" + primary.port();
        return "following " + primary.id();
    }

    @Override
    public synchronized String resync(MemberAddress member, MemberAddress primary) throws IOException {
        actions.add("resync " + member.id() + " " + primary.id());
        Fake fake = reachable(member);
        if (HeartbeatReport.PRIMARY.equals(fake.role)) {
            throw new DirkException("this member is the primary; fence it before rebuilding it by a resync");
        }
        if (fake.diskFull) {
            throw new DirkException("the shipped snapshot could not be installed: No space left on device");
        }
        fake.diverged = false;
        fake.storageFailure = null;
        fake.role = HeartbeatReport.SECONDARY;
        fake.following = primary.host() + ":" + primary.port();
        return "rebuilt from " + primary.id();
    }

    @Override
    public void close() {
    }
}
