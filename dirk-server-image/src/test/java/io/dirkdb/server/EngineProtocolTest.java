package io.dirkdb.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.testing.RawClient;
import java.io.IOException;
import java.nio.file.Path;
import java.util.StringJoiner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The wire protocol, byte for byte, against a member running the real parser and durable engine. */
class EngineProtocolTest {
    @TempDir
    Path dataDirectory;

    private MemberServer server;
    private RawClient client;

    @BeforeEach
    void start() throws IOException {
        server = MemberServer.start(Member.start("m1", EngineDatabase.open(dataDirectory), dataDirectory, Role.PRIMARY),
                ServerSettings.loopback(0));
        client = new RawClient(server.address());
    }

    @AfterEach
    void stop() throws IOException {
        client.close();
        server.close();
    }

    private static String message(String text) {
        return "RESULT_MESSAGE\n" + text + "\nEND\n";
    }

    private static String page(int page, int total, int from, int to) {
        StringJoiner rows = new StringJoiner(",");
        for (int i = from; i <= to; i++) {
            rows.add("[" + i + ",\"n" + i + "\"]");
        }
        return "RELATION_JSON_PAGE " + page + "/" + total + "\n"
                + "{\"type\":\"relation\",\"name\":\"etu\",\"page\":" + page + ",\"totalPages\":" + total
                + ",\"columns\":[{\"name\":\"id\",\"origin\":\"etu\"},{\"name\":\"nom\",\"origin\":\"etu\"}],"
                + "\"rows\":[" + rows + "]}\n";
    }

    private void createTableOf45Rows() throws IOException {
        assertThat(client.ask("manamboara tahiry examen2;")).isEqualTo(message("Ny tahiry : examen2 dia voaforona"));
        assertThat(client.ask("ampiasao examen2;")).isEqualTo(message("Ny tahiry : examen2 dia miasa ankehitriny"));
        client.ask("manamboara tabilao etu (id ISA(null,null), nom LAHATSORATRA(null,null));");
        StringJoiner values = new StringJoiner(", ");
        for (int i = 1; i <= 45; i++) {
            values.add("(" + i + ", 'n" + i + "')");
        }
        assertThat(client.ask("manampia ao@ etu (id, nom) sanda " + values + ";"))
                .isEqualTo(message("Tafinditra ny fiovana ny tabilao"));
    }

    @Test
    void fortyFiveRowsComeInPagesOneTwoAndThreeOfThree() throws IOException {
        createTableOf45Rows();
        assertThat(client.ask("alaivo * #ao@ etu;")).isEqualTo(page(1, 3, 1, 20) + page(2, 3, 21, 40)
                + page(3, 3, 41, 45) + "RELATION_JSON_END\nRESULT_MESSAGE\nOK\nEND\n");
    }

    @Test
    void emptyResultIsPageOneOfOneWithNoRows() throws IOException {
        createTableOf45Rows();
        assertThat(client.ask("alaivo * #ao@ etu #rehefa id > 100;")).isEqualTo("RELATION_JSON_PAGE 1/1\n"
                + "{\"type\":\"relation\",\"name\":\"etu\",\"page\":1,\"totalPages\":1,\"columns\":"
                + "[{\"name\":\"id\",\"origin\":\"etu\"},{\"name\":\"nom\",\"origin\":\"etu\"}],\"rows\":[]}\n"
                + "RELATION_JSON_END\nRESULT_MESSAGE\nOK\nEND\n");
    }

    @Test
    void errorThenTheSameConnectionStillWorks() throws IOException {
        createTableOf45Rows();
        assertThat(client.ask("alaivo * #ao@ tsisy;"))
                .isEqualTo(message("Hadisoana : table 'tsisy' does not exist in database 'examen2'"));
        assertThat(client.ask("alaivo * #ao@ etu #rehefa id = 7;")).contains("\"rows\":[[7,\"n7\"]]");
    }

    @Test
    void semicolonInsideAStringIsPartOfTheValue() throws IOException {
        createTableOf45Rows();
        client.ask("manampia ao@ etu (id, nom) sanda (100, 'a;b'), (101, \"it''s; \\\"x\\\"\");");
        assertThat(client.ask("alaivo nom #ao@ etu #rehefa id >= 100;"))
                .contains("\"rows\":[[\"a;b\"],[\"it''s; \\\"x\\\"\"]]");
    }

    @Test
    void secondaryRefusesWritesWithTheRoleInTheMessage() throws IOException {
        createTableOf45Rows();
        assertThat(client.ask("dirk follow '127.0.0.2' 3948;")).contains("following 127.0.0.2:3948");
        assertThat(client.ask("manampia ao@ etu (id, nom) sanda (99, 'x');"))
                .isEqualTo(message("Hadisoana : this member is a secondary (epoch 1): writes go to the primary"));
        assertThat(client.ask("alaivo * #ao@ etu #rehefa id = 99;")).contains("\"rows\":[]");
    }
}
