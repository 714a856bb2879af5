package io.dirkdb.operator.failover;

import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.heartbeat.HeartbeatReport;
import io.dirkdb.heartbeat.MemberAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MemberRolesTest {

  static final String P = "demo-primary-0";
  static final String S0 = "demo-secondary-0";
  static final String S1 = "demo-secondary-1";

  @Test
  void aMemberWithoutHeartbeatHasNoRoleAndThereIsNoPrimary() {
    Map<String, ProbeResult> results = new LinkedHashMap<>();
    results.put(P, silent(P));
    results.put(S0, answer(S0, "secondary", 1, 10));
    MemberRoles roles = MemberRoles.of(results, 0, null);
    assertThat(roles.primary()).isEmpty();
    assertThat(roles.label(P, null)).isEmpty();
    assertThat(roles.label(S0, null)).contains("secondary");
  }

  @Test
  void aFormerPrimaryClaimingAnOlderEpochIsFencedNextToTheNewOne() {
    Map<String, ProbeResult> results = new LinkedHashMap<>();
    results.put(P, answer(P, "primary", 1, 40)); // restarted from its volume, writable at epoch 1
    results.put(S0, answer(S0, "primary", 2, 30));
    MemberRoles roles = MemberRoles.of(results, 0, P); // a stale status still names the old one
    assertThat(roles.currentEpoch()).isEqualTo(2);
    assertThat(roles.primary()).contains(S0);
    assertThat(roles.label(P, null)).contains("fenced");
    assertThat(roles.label(P, "primary")).contains("fenced");
    assertThat(roles.falsePrimary(P)).isTrue();
  }

  @Test
  void theStatusEpochKeepsAnOldPrimaryOutWhileTheNewOneIsSilent() {
    Map<String, ProbeResult> results = new LinkedHashMap<>();
    results.put(P, answer(P, "primary", 1, 40));
    results.put(S0, silent(S0));
    MemberRoles roles = MemberRoles.of(results, 2, S0);
    assertThat(roles.primary()).isEmpty();
    assertThat(roles.label(P, null)).contains("fenced");
  }

  @Test
  void anEmptyPrimaryIsNeverPrimaryOverMembersHoldingData() {
    Map<String, ProbeResult> results = new LinkedHashMap<>();
    results.put(P, answer(P, "primary", 1, 0)); // a fresh volume: starts as the configured primary
    results.put(S0, answer(S0, "secondary", 1, 120));
    results.put(S1, answer(S1, "secondary", 1, 118));
    MemberRoles roles = MemberRoles.of(results, 0, null);
    assertThat(roles.primary()).isEmpty();
    assertThat(roles.emptyOverData(P)).isTrue();
    assertThat(roles.label(P, null)).contains("fenced");
    assertThat(roles.bootstrapCandidate(List.of(P, S0, S1))).contains(S0);
  }

  @Test
  void aSecondaryThatDivergedFromAnEmptyPrimaryIsStillChosenOverIt() {
    Map<String, ProbeResult> results = new LinkedHashMap<>();
    results.put(P, answer(P, "primary", 1, 0));
    // It followed the empty member by its stable name and found its own log ahead: "diverged".
    results.put(S0, new ProbeResult(new MemberAddress(S0, "10.0.0.2", 3948), 0,
        new HeartbeatReport("secondary", 1, 120, true, true, false, null)));
    assertThat(MemberRoles.of(results, 0, null).bootstrapCandidate(List.of(P, S0))).contains(S0);
  }

  @Test
  void aJustPromotedPrimaryKeepsItsLabelWhileItsLastHeartbeatStillSaysSecondary() {
    Map<String, ProbeResult> results = new LinkedHashMap<>();
    results.put(P, silent(P));
    results.put(S0, answer(S0, "secondary", 1, 50)); // probed just before its promotion to epoch 2
    MemberRoles roles = MemberRoles.of(results, 2, S0);
    assertThat(roles.label(S0, "primary")).isEmpty();
  }

  @Test
  void aFreshClusterHasItsPrimaryWhenNobodyHoldsData() {
    Map<String, ProbeResult> results = new LinkedHashMap<>();
    results.put(P, answer(P, "primary", 1, 0));
    results.put(S0, answer(S0, "secondary", 0, 0));
    assertThat(MemberRoles.of(results, 0, null).primary()).contains(P);
  }

  @Test
  void withNoPrimaryTheHighestEpochThenTheLongestLogIsChosenNeverTheOrdinal() {
    Map<String, ProbeResult> results = new LinkedHashMap<>();
    results.put(P, answer(P, "fenced", 2, 90));
    results.put(S0, answer(S0, "secondary", 3, 80));
    results.put(S1, answer(S1, "secondary", 3, 85));
    MemberRoles roles = MemberRoles.of(results, 0, null);
    assertThat(roles.primary()).isEmpty();
    assertThat(roles.bootstrapCandidate(List.of(P, S0, S1))).contains(S1);
    // Not while a member is silent: its log could be the longest.
    results.put(S1, silent(S1));
    assertThat(MemberRoles.of(results, 0, null).bootstrapCandidate(List.of(P, S0, S1))).isEmpty();
  }

  @Test
  void aPrimaryWhoseEmptyAnswerCameBeforeItsSecondarysFirstDataIsStillThePrimary() {
    // One probe round: the primary answered just before the first writes of its new history, its secondary just
    // after them. Read as "empty over data", this started a PrimaryLostItsData failover of a healthy primary.
    Map<String, ProbeResult> results = new LinkedHashMap<>();
    results.put(P, answeredAt(answer(P, "primary", 1, 0), 1_000, 0));
    results.put(S0, answeredAt(answer(S0, "secondary", 1, 5), 1_200, 1_200));
    MemberRoles roles = MemberRoles.of(results, 1, P);
    assertThat(roles.emptyOverData(P)).isFalse();
    assertThat(roles.primary()).contains(P);
    assertThat(roles.label(P, "primary")).contains("primary");
    assertThat(roles.falsePrimary(P)).isFalse();
  }

  @Test
  void anEmptyAnswerAfterAnotherMembersDataSaysThePrimaryLostIt() {
    Map<String, ProbeResult> results = new LinkedHashMap<>();
    results.put(P, answeredAt(answer(P, "primary", 1, 0), 1_300, 0)); // still empty after the secondary showed data
    results.put(S0, answeredAt(answer(S0, "secondary", 1, 5), 1_200, 1_200));
    MemberRoles roles = MemberRoles.of(results, 1, P);
    assertThat(roles.emptyOverData(P)).isTrue();
    assertThat(roles.primary()).isEmpty();
    assertThat(roles.falsePrimary(P)).isTrue();
  }

  @Test
  void anEmptyPrimaryProbedBeforeItsSecondaryInEveryRoundStillLostItsData() {
    // The prober asks the members in the same order every round: the empty primary's latest answer is always a
    // little older than the secondary's latest. What counts is that the secondary showed data long before.
    Map<String, ProbeResult> results = new LinkedHashMap<>();
    results.put(P, answeredAt(answer(P, "primary", 1, 0), 5_000, 0));
    results.put(S0, answeredAt(answer(S0, "secondary", 1, 5), 5_010, 1_010));
    MemberRoles roles = MemberRoles.of(results, 0, null);
    assertThat(roles.emptyOverData(P)).isTrue();
    assertThat(roles.primary()).isEmpty();
  }

  private static ProbeResult answeredAt(ProbeResult result, long nanos, long dataSince) {
    return new ProbeResult(result.endpoint(), result.missed(), result.last(), nanos, dataSince);
  }

  private static ProbeResult answer(String member, String role, long epoch, long lsn) {
    return new ProbeResult(new MemberAddress(member, "10.0.0.1", 3948), 0, new HeartbeatReport(role, epoch, lsn, true));
  }

  private static ProbeResult silent(String member) {
    return new ProbeResult(new MemberAddress(member, "10.0.0.1", 3948), 0, null);
  }
}
