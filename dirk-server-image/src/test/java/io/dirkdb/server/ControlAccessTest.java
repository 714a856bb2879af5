package io.dirkdb.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dirkdb.DirkException;
import io.dirkdb.client.DirkConnection;
import io.dirkdb.protocol.Reply;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Which credential may send which request: application, replication and administration each have their own. */
class ControlAccessTest {
    private static final Credentials THREE = new Credentials("app-pw", "repl-pw", "admin-pw");

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private MemberServer server;

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private MemberServer start(Credentials credentials, Role role) throws IOException {
        Member member = Member.start("m1", EngineDatabase.inMemory(), null, role);
        server = MemberServer.start(member, ServerSettings.loopback(0).withCredentials(credentials));
        toClose.add(server);
        return server;
    }

    private DirkConnection connect(String password) throws IOException {
        DirkConnection connection = DirkConnection.open("127.0.0.1", server.port());
        toClose.add(connection);
        if (password != null) {
            Reply auth = connection.authenticate(password);
            assertThat(auth.isError()).as("dirk auth: %s", auth.errorMessage()).isFalse();
        }
        return connection;
    }

    private static String needed(String request) {
        return request.startsWith("dirk stream") || request.startsWith("dirk snapshot") ? "replication" : "administration";
    }

    @ParameterizedTest
    @ValueSource(strings = {"dirk fence", "dirk fence hold", "dirk promote 9", "dirk follow '127.0.0.9' 3948", "dirk resync '127.0.0.9' 3948",
            "dirk stream 0 0 1", "dirk snapshot", "dirk heartbeat lease 1"})
    void applicationCredentialCannotSendControlRequests(String request) throws IOException {
        start(THREE, Role.PRIMARY);
        DirkConnection application = connect("app-pw");
        Reply reply = application.execute(request);
        assertThat(reply.isError()).as("%s answered %s", request, reply.messageText()).isTrue();
        String word = request.startsWith("dirk heartbeat lease") ? "dirk heartbeat lease" : request.split(" ")[0] + " "
                + request.split(" ")[1];
        assertThat(reply.errorMessage()).isEqualTo(word + " needs the " + needed(request)
                + " credential (this connection holds the application one)");
        // Nothing changed, and the connection still serves SQL.
        assertThat(server.member().state().role()).isEqualTo(Role.PRIMARY);
        assertThat(server.member().state().epoch()).isEqualTo(1);
        assertThat(application.execute("manamboara tahiry shop").isError()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"dirk fence", "dirk fence hold", "dirk promote 9", "dirk follow '127.0.0.9' 3948", "dirk resync '127.0.0.9' 3948",
            "dirk heartbeat lease 1", "manamboara tahiry shop"})
    void replicationCredentialCannotPromoteFenceFollowOrRunSql(String request) throws IOException {
        start(THREE, Role.PRIMARY);
        Reply reply = connect("repl-pw").execute(request);
        assertThat(reply.isError()).as("%s answered %s", request, reply.messageText()).isTrue();
        assertThat(reply.errorMessage()).endsWith("(this connection holds the replication one)")
                .contains(request.startsWith("dirk") ? "the administration credential" : "the application credential");
        assertThat(server.member().state().role()).isEqualTo(Role.PRIMARY);
        assertThat(server.member().state().epoch()).isEqualTo(1);
    }

    @Test
    void unauthenticatedControlRequestIsToldWhichCredentialItNeeds() throws IOException {
        start(THREE, Role.PRIMARY);
        DirkConnection anonymous = connect(null);
        assertThat(anonymous.execute("dirk heartbeat").isError()).isFalse();
        assertThat(anonymous.execute("dirk heartbeat lease 1").errorMessage())
                .isEqualTo("authentication required: dirk heartbeat lease needs the administration credential");
        assertThat(anonymous.execute("dirk fence").errorMessage())
                .isEqualTo("authentication required: dirk fence needs the administration credential");
        assertThat(anonymous.execute("dirk auth 'nope'").errorMessage()).isEqualTo("authentication failed");
        assertThat(server.member().state().role()).isEqualTo(Role.PRIMARY);
    }

    @Test
    void administrationCredentialRunsControlRequestsAndSql() throws IOException {
        start(THREE, Role.PRIMARY);
        DirkConnection admin = connect("admin-pw");
        assertThat(admin.execute("manamboara tahiry shop").isError()).isFalse();
        assertThat(admin.execute("dirk fence").isError()).isFalse();
        assertThat(server.member().state().role()).isEqualTo(Role.FENCED);
        assertThat(admin.execute("dirk promote 2").messageText()).isEqualTo("primary at epoch 2");
    }

    @Test
    void eachPasswordSaysWhichRoleItGranted() throws IOException {
        start(THREE, Role.PRIMARY);
        try (DirkConnection connection = DirkConnection.open("127.0.0.1", server.port())) {
            assertThat(connection.authenticate("app-pw").messageText()).isEqualTo("authenticated as application");
            assertThat(connection.authenticate("repl-pw").messageText()).isEqualTo("authenticated as replication");
            assertThat(connection.authenticate("admin-pw").messageText()).isEqualTo("authenticated as administration");
            // A failed attempt drops what the connection held.
            assertThat(connection.authenticate("wrong").isError()).isTrue();
            assertThat(connection.execute("manamboara tahiry shop").errorMessage()).isEqualTo("authentication required");
        }
    }

    @Test
    void singlePasswordStillGrantsEveryRole() throws IOException {
        start(Credentials.single("only"), Role.PRIMARY);
        DirkConnection connection = connect("only");
        assertThat(connection.execute("manamboara tahiry shop").isError()).isFalse();
        assertThat(connection.execute("dirk fence").isError()).isFalse();
        assertThat(server.member().state().role()).isEqualTo(Role.FENCED);
    }

    @Test
    void aMemberStillOnTheSinglePasswordSetupTakesTheApplicationPasswordAsFallback() throws IOException {
        // Mid-upgrade: the caller holds three passwords, this member was not restarted yet and knows only one.
        start(Credentials.single("app-pw"), Role.PRIMARY);
        try (DirkConnection connection = DirkConnection.open("127.0.0.1", server.port())) {
            assertThat(connection.authenticate("admin-pw", "app-pw").isError()).isFalse();
            assertThat(connection.execute("dirk fence").isError()).isFalse();
        }
        start(THREE, Role.PRIMARY);
        try (DirkConnection connection = DirkConnection.open("127.0.0.1", server.port())) {
            // On a member with roles, the fallback grants only what the application password grants.
            assertThat(connection.authenticate("wrong", "app-pw").messageText()).isEqualTo("authenticated as application");
            assertThat(connection.execute("dirk fence").errorMessage()).contains("needs the administration credential");
        }
    }

    @Test
    void separateCredentialsNeedAllThreeAndDistinctPasswords() {
        assertThatThrownBy(() -> new Credentials("app", null, "admin")).isInstanceOf(DirkException.class)
                .hasMessageContaining("missing: replication");
        assertThatThrownBy(() -> new Credentials(null, "repl", "admin")).isInstanceOf(DirkException.class)
                .hasMessageContaining("missing: application");
        assertThatThrownBy(() -> new Credentials("same", "repl", "same")).isInstanceOf(DirkException.class)
                .hasMessageContaining("must all differ");
    }

    @Test
    void followAndResyncNameOnlyMembersOfTheConfiguration() throws IOException {
        start(Credentials.NONE, Role.PRIMARY);
        server.member().limitPeersTo(List.of(new Member.Peer("m2.demo-members.ns.svc", 3948),
                new Member.Peer("127.0.0.3", 3948), new Member.Peer("m4.demo-members.ns.svc", 0)));
        DirkConnection admin = connect(null);
        assertThat(admin.execute("dirk follow '10.9.9.9' 3948").errorMessage()).isEqualTo(
                "dirk follow 10.9.9.9:3948 refused: it is not a member of this cluster's configuration "
                        + "(members: m2.demo-members.ns.svc:3948, 127.0.0.3:3948, m4.demo-members.ns.svc:*)");
        assertThat(admin.execute("dirk follow '127.0.0.3' 4000").errorMessage()).contains("not a member");
        assertThat(server.member().state().role()).isEqualTo(Role.PRIMARY);
        assertThat(admin.execute("dirk fence").isError()).isFalse();
        assertThat(admin.execute("dirk resync '127.0.0.9' 3948").errorMessage())
                .startsWith("dirk resync 127.0.0.9:3948 refused: it is not a member");
        // The members' own names (as config.json and the operator write them) are accepted.
        assertThat(admin.execute("dirk follow 'M2.demo-members.ns.svc.' 3948").messageText())
                .isEqualTo("secondary at epoch 1, following M2.demo-members.ns.svc.:3948");
        assertThat(admin.execute("dirk follow '127.0.0.3' 3948").isError()).isFalse();
        // An instance config.json lists with port 0 (any free port) may be named with any.
        assertThat(admin.execute("dirk follow 'm4.demo-members.ns.svc' 4001").isError()).isFalse();
    }

    @Test
    void standaloneMemberFollowsAnyAddress() throws IOException {
        start(Credentials.NONE, Role.PRIMARY);
        assertThat(connect(null).execute("dirk follow '10.9.9.9' 3948").messageText())
                .isEqualTo("secondary at epoch 1, following 10.9.9.9:3948");
    }
}
