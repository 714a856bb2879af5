package io.dirkdb.operator.backup;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Checks a cron schedule as a CronJob takes it (five fields or a macro), so a wrong one is a spec error the user
 * reads in the DirkCluster's status, not a CronJob the API server refuses later.
 */
public final class CronSchedule {

  private static final Set<String> MACROS = Set.of("@hourly", "@daily", "@weekly", "@monthly", "@yearly", "@annually",
      "@midnight");
  private static final List<String> FIELDS = List.of("minute", "hour", "day of month", "month", "day of week");
  private static final int[] MIN = {0, 0, 1, 1, 0};
  private static final int[] MAX = {59, 23, 31, 12, 7};
  private static final List<String> MONTHS = List.of("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep",
      "oct", "nov", "dec");
  private static final List<String> DAYS = List.of("sun", "mon", "tue", "wed", "thu", "fri", "sat");

  private CronSchedule() {}

  /** Why {@code schedule} is not a valid cron schedule, or empty when it is. */
  public static Optional<String> problem(String schedule) {
    String trimmed = schedule == null ? "" : schedule.trim();
    if (MACROS.contains(trimmed)) {
      return Optional.empty();
    }
    String[] fields = trimmed.split("\\s+");
    if (trimmed.isEmpty() || fields.length != 5) {
      return Optional.of("'" + schedule + "' is not a cron schedule: it needs five fields (minute hour day-of-month"
          + " month day-of-week, e.g. '0 3 * * *') or one of " + String.join(", ", MACROS.stream().sorted().toList()));
    }
    for (int i = 0; i < 5; i++) {
      for (String part : fields[i].split(",", -1)) {
        if (!valid(part, i)) {
          return Optional.of("'" + schedule + "' is not a cron schedule: its " + FIELDS.get(i) + " field '" + fields[i]
              + "' must be *, ?, a number from " + MIN[i] + " to " + MAX[i] + (i >= 3 ? " (or a name)" : "")
              + ", a range a-b, a list, or a step */n");
        }
      }
    }
    return Optional.empty();
  }

  private static boolean valid(String part, int field) {
    String range = part;
    int slash = part.indexOf('/');
    if (slash >= 0) {
      String step = part.substring(slash + 1);
      if (!step.matches("[1-9][0-9]{0,2}")) {
        return false;
      }
      range = part.substring(0, slash);
    }
    if (range.equals("*") || (range.equals("?") && (field == 2 || field == 4))) {
      return true;
    }
    String[] ends = range.split("-", -1);
    if (ends.length > 2) {
      return false;
    }
    int low = value(ends[0], field);
    int high = ends.length == 2 ? value(ends[1], field) : low;
    return low >= 0 && high >= low;
  }

  private static int value(String text, int field) {
    if (text.matches("[0-9]{1,2}")) {
      int v = Integer.parseInt(text);
      return v >= MIN[field] && v <= MAX[field] ? v : -1;
    }
    String lower = text.toLowerCase(java.util.Locale.ROOT);
    if (field == 3 && MONTHS.contains(lower)) {
      return MONTHS.indexOf(lower) + 1;
    }
    if (field == 4 && DAYS.contains(lower)) {
      return DAYS.indexOf(lower);
    }
    return -1;
  }
}
