package io.dirkdb.engine;

/**
 * Every text the engine answers with, in one place. Success texts are Malagasy like the
 * original's ({@link #use} and {@link #TABLE_CHANGED} are the original's own words); error
 * texts are English sentences that name the object concerned.
 */
public final class Messages {
    private Messages() {}

    // ------------------------------------------------------------------ success

    /** After {@code manampia}, {@code havaozy} or {@code fafao}. */
    public static final String TABLE_CHANGED = "Tafinditra ny fiovana ny tabilao";

    /** After {@code ampiasao D}. */
    public static String use(String database) {
        return "Ny tahiry : " + database + " dia miasa ankehitriny";
    }

    /** After {@code manamboara tahiry/tabilao/efitra/jery X}, e.g. {@code Ny tabilao : etu dia voaforona}. */
    public static String created(String objectWord, String name) {
        return "Ny " + objectWord + " : " + name + " dia voaforona";
    }

    /** After {@code ravao ny tahiry/tabilao/efitra/jery X}, e.g. {@code Ny tabilao : etu dia voafafa}. */
    public static String dropped(String objectWord, String name) {
        return "Ny " + objectWord + " : " + name + " dia voafafa";
    }

    /** The single column of {@code asehoy ny ...}. */
    public static final String SHOW_COLUMN = "fanasehoana";

    // ------------------------------------------------------------------ errors

    public static final String NO_DATABASE = "no database is in use; choose one with: ampiasao <name>";

    public static String databaseGone(String database) {
        return "database '" + database + "' no longer exists; choose one with: ampiasao <name>";
    }

    public static String databaseMissing(String database) {
        return "database '" + database + "' does not exist";
    }

    public static String databaseExists(String database) {
        return "database '" + database + "' already exists";
    }

    public static String tableMissing(String table, String database) {
        return "table '" + table + "' does not exist in database '" + database + "'";
    }

    public static String nameTaken(String what, String name, String database) {
        return "a " + what + " named '" + name + "' already exists in database '" + database + "'";
    }

    public static String domainMissing(String domain, String database) {
        return "domain '" + domain + "' does not exist in database '" + database + "'";
    }

    public static String viewMissing(String view, String database) {
        return "view '" + view + "' does not exist in database '" + database + "'";
    }

    public static String writeToView(String view) {
        return "'" + view + "' is a view; rows can only be written into a table";
    }

    public static String dropViewAsTable(String view) {
        return "'" + view + "' is a view; drop it with: ravao ny jery " + view;
    }

    public static String columnMissing(String column, String table) {
        return "column '" + column + "' does not exist in table '" + table + "'";
    }

    public static String valueNotAllowed(String value, String type, String column) {
        return "value " + value + " is not allowed by " + type + " for column " + column;
    }

    public static String writesRefused(String reason) {
        return reason;
    }

    public static String notDurable(String cause) {
        return "the write could not be made durable: " + cause;
    }

    public static final String STORAGE_FAILED =
            "this member refuses writes since a write could not be made durable; restart it";

    static String storageFailed(String cause) {
        return "this member's storage failed (" + cause + "); it serves nothing until it restarts and recovers"
                + " from its log, or is rebuilt by a resync";
    }

    public static final String NOT_PRIMARY = "this member does not accept writes";

    static String changeTooLarge(long bytes, long limit) {
        return "statement exceeded " + limit + " bytes (--statement-max-bytes; one log record holds at most 64 MiB):"
                + " its change would be a log record of " + bytes + " bytes; split it into smaller statements";
    }
}
