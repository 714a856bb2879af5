package io.dirkdb.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.server.Member;
import io.dirkdb.server.MemberServer;
import io.dirkdb.server.Role;
import io.dirkdb.server.ServerSettings;
import io.dirkdb.testing.FakeDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jline.terminal.Terminal;
import org.jline.terminal.impl.DumbTerminal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The interactive client, driven through a dumb terminal. */
class InteractiveShellTest {
    @TempDir
    Path directory;

    @Test
    void multiLineStatementsPromptWithTheDatabaseHelpAndQuit() throws Exception {
        FakeDatabase database = new FakeDatabase();
        try (MemberServer server = MemberServer.start(Member.start("m1", database, directory, Role.PRIMARY),
                ServerSettings.loopback(0))) {
            String typed = "ampiasao examen2;\nput 'a;\nb';\nnumbers 2;\nnonsense;\nvonjy\nmiala\nput never;\n";
            ByteArrayOutputStream screen = new ByteArrayOutputStream();
            Path history = directory.resolve("history");
            int exit;
            // A keyboard that stays open: the shell must stop on "miala", not on the end of its input.
            PipedOutputStream keyboard = new PipedOutputStream();
            PipedInputStream keys = new PipedInputStream(keyboard, 64 * 1024);
            keyboard.write(typed.getBytes(StandardCharsets.UTF_8));
            keyboard.flush();
            try (keyboard;
                    ClientSession session = new ClientSession(DirkConnection.open("127.0.0.1", server.port()));
                    Terminal terminal = new DumbTerminal("test", "dumb", keys, screen, StandardCharsets.UTF_8)) {
                exit = new InteractiveShell(session, "test").run(terminal, history);
            }
            String shown = screen.toString(StandardCharsets.UTF_8);
            assertThat(exit).isZero();
            assertThat(shown).contains("dirk> ").contains("dirk:examen2> ").contains("-> ");
            assertThat(shown).contains("| id |").contains("(2 rows)");
            assertThat(shown).contains("Hadisoana : unknown statement: nonsense");
            assertThat(shown).contains("Client commands: miala or mivaoka (quit)");
            assertThat(database.writes).containsExactly("'a;\nb'");
            assertThat(Files.readString(history)).contains("numbers 2;");
        }
    }
}
