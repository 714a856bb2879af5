package io.dirkdb.operator.backup;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CronScheduleTest {

  @Test
  void schedulesACronJobTakesPass() {
    for (String ok : new String[] {"0 3 * * *", "*/15 * * * *", "0 0-6/2 1,15 * mon-fri", "30 2 * JAN,jul SUN",
        "@daily", "@hourly", "0 0 ? * 7"}) {
      assertThat(CronSchedule.problem(ok)).as(ok).isEmpty();
    }
  }

  @Test
  void wrongSchedulesAreRefusedNamingTheField() {
    assertThat(CronSchedule.problem("60 * * * *")).get().asString().contains("minute field '60'");
    assertThat(CronSchedule.problem("0 24 * * *")).get().asString().contains("hour field '24'");
    assertThat(CronSchedule.problem("0 3 * * 8")).get().asString().contains("day of week field '8'");
    assertThat(CronSchedule.problem("0 3 * *")).get().asString().contains("five fields");
    assertThat(CronSchedule.problem("@fortnightly")).get().asString().contains("five fields");
    assertThat(CronSchedule.problem("5-1 * * * *")).get().asString().contains("minute field");
    assertThat(CronSchedule.problem("*/0 * * * *")).get().asString().contains("minute field");
    assertThat(CronSchedule.problem("? * * * *")).get().asString().contains("minute field");
  }
}
