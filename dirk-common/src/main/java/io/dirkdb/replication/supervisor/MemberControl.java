package io.dirkdb.replication.supervisor;

import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.heartbeat.MemberAddress;
import java.io.IOException;

/**
 * What the supervisor can ask of a member: its heartbeat and the control statements that change
 * roles. Each call either returns the member's answer or throws; it never waits without bound.
 */
public interface MemberControl extends AutoCloseable {

    /** {@code dirk heartbeat;} @throws IOException when it does not answer in time */
    HeartbeatReport heartbeat(MemberAddress member) throws IOException;

    /**
     * {@code dirk heartbeat lease E;} to the member held for primary at epoch {@code leaseEpoch}: also renews its
     * lease. A control that cannot renew leases just probes.
     */
    default HeartbeatReport heartbeat(MemberAddress member, long leaseEpoch) throws IOException {
        return heartbeat(member);
    }

    /** {@code dirk fence;}: the member refuses writes from now on. */
    String fence(MemberAddress member) throws IOException;

    /**
     * {@code dirk fence hold;}: as {@link #fence}, a held fence (the user's or hibernation's) that no hand-over ends, so
     * the member's {@code dirk step-down} lets it stop at once. A member too old to know it gets the plain fence. A
     * control that cannot send it fences plainly.
     */
    default String fenceHeld(MemberAddress member) throws IOException {
        return fence(member);
    }

    /**
     * {@code dirk fence hold;} to a member fenced already (by a hand-over, or before a restart: a member forgets that its
     * fence was held), whose fence becomes a held one. False when the member is too old to know held fences (it refused
     * the request, fencing nothing again) or the control cannot send it: its fence stays as it was.
     */
    default boolean holdFence(MemberAddress member) throws IOException {
        return false;
    }

    /**
     * {@code dirk fence epoch N;}: as {@link #fence}, and the member takes {@code epoch} as seen, so a promote to that
     * epoch or below (one still on its way) is refused. A control that cannot send it throws: nothing is fenced.
     */
    default String fence(MemberAddress member, long epoch) throws IOException {
        throw new IOException("this member control cannot fence at an epoch");
    }

    /** {@code dirk promote N;} @throws DirkException when the member refuses (it has seen that epoch) */
    String promote(MemberAddress member, long epoch) throws IOException;

    /** {@code dirk follow 'host' port;}: the member becomes a secondary of {@code primary}. */
    String follow(MemberAddress member, MemberAddress primary) throws IOException;

    /**
     * {@code dirk promote N history 'id';}: refused by a member of another history. A control that cannot
     * say the history promotes without it.
     */
    default String promote(MemberAddress member, long epoch, String historyId) throws IOException {
        return promote(member, epoch);
    }

    /** {@code dirk follow 'host' port history 'id';}: refused by a member of another history. */
    default String follow(MemberAddress member, MemberAddress primary, String historyId) throws IOException {
        return follow(member, primary);
    }

    /** {@code dirk resync 'host' port;}: the member rebuilds itself from {@code primary}, then follows it. */
    String resync(MemberAddress member, MemberAddress primary) throws IOException;

    @Override
    void close();
}
