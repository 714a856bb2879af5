package io.dirkdb.proxy;

import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.heartbeat.MemberAddress;
import java.lang.System.Logger.Level;

/**
 * The lines operators watch for, with the original's wording: {@code Erreur connexion à <member>}
 * when a member stops answering and {@code Erreur réplication sur <member>} when a secondary is not
 * ready or lags. Each is logged once per transition, not on every probe.
 */
public final class MonitoringLog {
    /** A line to log and its level. */
    public record Line(Level level, String text) {}

    private MonitoringLog() {}

    /** The line a change of health calls for, or null when it calls for none. */
    public static Line lineFor(BackendTable.HealthChange change) {
        if (!change.changed()) {
            return null;
        }
        BackendTable.MemberView now = change.current();
        MemberAddress member = now.address();
        HeartbeatReport report = now.report();
        switch (now.health()) {
            case DOWN:
                return new Line(Level.ERROR, "Erreur connexion à " + member + ": " + now.failure());
            case LAGGING:
                return new Line(Level.WARNING, "Erreur réplication sur " + member + ": " + now.lagLsn()
                        + " log records behind the primary");
            case NOT_READY:
                if (HeartbeatReport.SECONDARY.equals(report.role())) {
                    return new Line(Level.WARNING, "Erreur réplication sur " + member + ": the secondary is not ready");
                }
                return new Line(Level.WARNING, member + " answers but is not ready (role " + report.role() + ")");
            case FENCED:
                return new Line(Level.INFO, member + " is fenced at epoch " + report.epoch() + ": no more traffic");
            case SERVING:
                return new Line(Level.INFO, member + " serves as " + report.role() + " at epoch " + report.epoch()
                        + " (lsn " + report.lsn() + ")");
            default:
                return null;
        }
    }
}
