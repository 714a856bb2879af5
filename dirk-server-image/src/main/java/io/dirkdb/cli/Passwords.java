package io.dirkdb.cli;

import io.dirkdb.DirkException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Where a command's password comes from: a flag (or a file a flag names), else {@code $DIRK_PASSWORD}. */
final class Passwords {
    static final String ENVIRONMENT_VARIABLE = "DIRK_PASSWORD";

    private Passwords() {
    }

    /**
     * The password of {@code --password-file}, else of the environment; null when neither gives one.
     *
     * @throws DirkException when the file cannot be read or is empty
     */
    static String fromFileOrEnvironment(Path passwordFile, Map<String, String> environment) {
        if (passwordFile == null) {
            return givenOrEnvironment(null, environment);
        }
        String password;
        try {
            password = Files.readString(passwordFile, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new DirkException(passwordFile + ": cannot read the password file (" + e.getMessage() + ")");
        }
        if (password.isEmpty()) {
            throw new DirkException(passwordFile + ": the password file is empty");
        }
        return password;
    }

    /** The password given on the command line, else of the environment; null for none or an empty one. */
    static String givenOrEnvironment(String given, Map<String, String> environment) {
        String password = given != null ? given : environment.get(ENVIRONMENT_VARIABLE);
        return password == null || password.isEmpty() ? null : password;
    }
}
