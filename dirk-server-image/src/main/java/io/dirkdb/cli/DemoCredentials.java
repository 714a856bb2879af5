package io.dirkdb.cli;

import io.dirkdb.server.Credentials;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The three passwords of {@code dirk demo}'s members, one file per role in the demo's data directory
 * ({@code application}, {@code replication}, {@code administration}), made on the first start and read
 * again afterwards, so that scripts and {@code dirk client --password} keep working across restarts.
 */
final class DemoCredentials {
    static final String APPLICATION = "application";
    static final String REPLICATION = "replication";
    static final String ADMINISTRATION = "administration";
    private static final SecureRandom RANDOM = new SecureRandom();

    private DemoCredentials() {
    }

    static Credentials loadOrCreate(Path directory) throws IOException {
        Files.createDirectories(directory);
        return new Credentials(password(directory.resolve(APPLICATION)), password(directory.resolve(REPLICATION)),
                password(directory.resolve(ADMINISTRATION)));
    }

    private static String password(Path file) throws IOException {
        if (!Files.exists(file)) {
            byte[] bytes = new byte[18];
            RANDOM.nextBytes(bytes);
            String password = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
            try {
                create(file);
                Files.writeString(file, password + "\n", StandardCharsets.UTF_8);
            } catch (FileAlreadyExistsException e) {
                // made meanwhile: read it below
            }
        }
        return Passwords.fromFileOrEnvironment(file, java.util.Map.of());
    }

    /** Creates the file readable and writable by its owner only, where the file system knows POSIX modes. */
    private static void create(Path file) throws IOException {
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(file);
        }
    }
}
