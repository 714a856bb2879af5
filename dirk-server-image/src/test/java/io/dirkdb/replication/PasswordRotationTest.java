package io.dirkdb.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dirkdb.client.DirkConnection;
import io.dirkdb.server.Credentials;
import io.dirkdb.server.Role;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A password rotation rolled member by member: a member restarted with the new passwords (and the old ones as
 * previous) and a member not restarted yet, which knows only the old ones, keep streaming from each other.
 */
class PasswordRotationTest extends ReplicaSetFixture {
    private static final Credentials OLD = new Credentials("app-old", "repl-old", "admin-old");
    private static final Credentials ROTATING = new Credentials("app-new", "repl-new", "admin-new")
            .withPrevious("app-old", "repl-old", "admin-old");

    private ReplicaSet other;

    @AfterEach
    void stopOther() {
        if (other != null) {
            other.close();
        }
    }

    private static ReplicaSet rotating(java.nio.file.Path root) {
        return new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC)
                .withPeerPassword(ROTATING.replicationPassword())
                .withFallbackPasswords(ROTATING.replicationFallbacks())).withCredentials(ROTATING);
    }

    private static ReplicaSet old(java.nio.file.Path root) {
        return new ReplicaSet(root, ReplicationSettings.defaults(ReplicationMode.ASYNC)
                .withPeerPassword(OLD.replicationPassword())
                .withFallbackPasswords(OLD.replicationFallbacks())).withCredentials(OLD);
    }

    private boolean streamsTheWholeLog(ReplicaSet secondaries, String id) throws java.io.IOException {
        var beat = secondaries.heartbeat(id);
        return beat.path("streaming").asBoolean()
                && beat.path("lsn").asLong() == members.heartbeat("m1").path("lsn").asLong();
    }

    @Test
    void aMemberStillOnTheOldPasswordsStreamsFromARotatedPrimary() throws Exception {
        members = rotating(root.resolve("rotated"));
        ReplicaSet.Node primary = members.startPrimary("m1");
        ok(members.execute("m1", "manamboara tahiry shop"));

        other = old(root.resolve("old"));
        other.start("m2", Role.SECONDARY, primary, 0);
        await().atMost(Duration.ofSeconds(10)).until(() -> streamsTheWholeLog(other, "m2"));
    }

    @Test
    void aRotatedMemberStreamsFromAPrimaryStillOnTheOldPasswords() throws Exception {
        members = old(root.resolve("old"));
        ReplicaSet.Node primary = members.startPrimary("m1");
        ok(members.execute("m1", "manamboara tahiry shop"));

        other = rotating(root.resolve("rotated"));
        other.start("m2", Role.SECONDARY, primary, 0);
        await().atMost(Duration.ofSeconds(10)).until(() -> streamsTheWholeLog(other, "m2"));
    }

    @Test
    void aRotatingMemberGrantsEachPreviousPasswordItsOwnRoleAndRefusesOthers() throws Exception {
        members = rotating(root.resolve("rotated"));
        ReplicaSet.Node primary = members.startPrimary("m1");
        try (DirkConnection connection = DirkConnection.open(primary.host(), primary.port())) {
            assertThat(connection.authenticate("app-old").messageText()).isEqualTo("authenticated as application");
            assertThat(connection.authenticate("repl-old").messageText()).isEqualTo("authenticated as replication");
            assertThat(connection.authenticate("admin-old").messageText()).isEqualTo("authenticated as administration");
            assertThat(connection.authenticate("admin-new").messageText()).isEqualTo("authenticated as administration");
            assertThat(connection.authenticate("admin-older").isError()).isTrue();
        }
    }

    @Test
    void aRotatedControlClientFallsBackToThePreviousAdministrationPassword() throws Exception {
        members = old(root.resolve("old"));
        ReplicaSet.Node primary = members.startPrimary("m1");
        try (DirkConnection connection = DirkConnection.open(primary.host(), primary.port())) {
            assertThat(connection.authenticate(ROTATING.administrationPassword(), ROTATING.administrationFallbacks())
                    .messageText()).isEqualTo("authenticated as administration");
        }
    }
}
