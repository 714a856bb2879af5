package io.dirkdb.operator.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.heartbeat.HeartbeatProbe;
import io.dirkdb.heartbeat.MemberAddress;
import io.dirkdb.operator.dependent.ClusterCredentials;
import io.dirkdb.server.Credentials;
import io.dirkdb.server.EngineDatabase;
import io.dirkdb.server.Member;
import io.dirkdb.server.MemberServer;
import io.dirkdb.server.Role;
import io.dirkdb.server.ServerSettings;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Review of issue 11: the rotation in docs/reference-operator.md ("change the Secret, or point auth.secretName at a new one, then
 * restart every pod") has a window where the Secret holds the new passwords and the running members the old
 * ones. A heartbeat needs no password, yet the prober counts a member that refuses the new password as a
 * missed heartbeat: a healthy primary is "lost" and the coordinator starts a failover (fencing it by label).
 */
class RotatedPasswordProbeTest {

  @TempDir
  Path root;

  private MemberServer server;
  private ClusterProber prober;

  @AfterEach
  void stop() {
    if (prober != null) {
      prober.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void aLiveMemberStillOnTheOldPasswordsIsNotCountedAsMissingHeartbeats() throws Exception {
    Path data = root.resolve("data");
    server = MemberServer.start(Member.start("demo-primary-0", EngineDatabase.open(data), data, Role.PRIMARY),
        ServerSettings.loopback(0).withCredentials(new Credentials("app-old", "repl-old", "admin-old")));
    MemberAddress member = new MemberAddress("demo-primary-0", "127.0.0.1", server.port());
    // The member answers heartbeats to anyone: it is alive and primary.
    try (HeartbeatProbe plain = new HeartbeatProbe(member, 2000, null)) {
      assertThat(plain.probe(-1).isPrimary()).isTrue();
    }

    prober = new ClusterProber(2);
    ResourceID id = new ResourceID("demo", "ns");
    // The Secret was changed (or auth.secretName pointed at a new one): the operator reads the new passwords.
    prober.watch(id, 200, List.of(member), null, new ClusterCredentials("admin-new", "app-new"));

    await().atMost(Duration.ofSeconds(10)).until(() -> {
      ProbeResult r = prober.results(id).get("demo-primary-0");
      return r != null && (r.answering() || r.missed() >= 3);
    });
    ProbeResult result = prober.results(id).get("demo-primary-0");
    assertThat(result.missed())
        .as("a member answering heartbeats but refusing the rotated password counts as missed heartbeats, "
            + "so failureThreshold of them makes the healthy primary 'lost' and starts a failover")
        .isZero();
  }
}
