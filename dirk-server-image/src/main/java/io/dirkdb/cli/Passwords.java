package io.dirkdb.cli;

import io.dirkdb.DirkException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where a command's password comes from: a flag (or a file a flag names), else the environment:
 * {@code $DIRK_PASSWORD} (application), {@code $DIRK_REPLICATION_PASSWORD}, {@code $DIRK_ADMIN_PASSWORD}.
 */
final class Passwords {
    static final String ENVIRONMENT_VARIABLE = "DIRK_PASSWORD";
    static final String REPLICATION_ENVIRONMENT_VARIABLE = "DIRK_REPLICATION_PASSWORD";
    static final String ADMIN_ENVIRONMENT_VARIABLE = "DIRK_ADMIN_PASSWORD";
    static final String PREVIOUS_ENVIRONMENT_VARIABLE = "DIRK_PREVIOUS_PASSWORD";
    static final String PREVIOUS_REPLICATION_ENVIRONMENT_VARIABLE = "DIRK_PREVIOUS_REPLICATION_PASSWORD";
    static final String PREVIOUS_ADMIN_ENVIRONMENT_VARIABLE = "DIRK_PREVIOUS_ADMIN_PASSWORD";

    private Passwords() {
    }

    /**
     * The password of {@code --password-file}, else of the environment; null when neither gives one.
     *
     * @throws DirkException when the file cannot be read or is empty, or the variable is set but empty
     */
    static String fromFileOrEnvironment(Path passwordFile, Map<String, String> environment) {
        return fromFileOrEnvironment(passwordFile, environment, ENVIRONMENT_VARIABLE);
    }

    /** As {@link #fromFileOrEnvironment(Path, Map)}, from {@code variable} when no file is given. */
    static String fromFileOrEnvironment(Path passwordFile, Map<String, String> environment, String variable) {
        if (passwordFile == null) {
            return fromEnvironment(environment, variable);
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

    /**
     * The password in {@code variable}, or null when it is unset.
     *
     * @throws DirkException naming the variable when it is set but empty (or blank)
     */
    static String fromEnvironment(Map<String, String> environment, String variable) {
        String password = environment.get(variable);
        if (password != null && password.isBlank()) {
            // Set but empty is a mistake (an empty Secret key, a typo in a script), never "no authentication".
            throw new DirkException("$" + variable + " is set but empty: give it a password, or unset it to run "
                    + "without one");
        }
        return password;
    }

    /**
     * The administration password for a control command ({@code dirk resync}, {@code dirk step-down}): the
     * flag, else {@code $DIRK_ADMIN_PASSWORD}, else {@code $DIRK_PASSWORD} (a single-password cluster); null when
     * none is given. Read as {@code dirk server} reads them: a variable set but empty, or an empty flag, is an error.
     *
     * @throws DirkException naming the flag or the variable that is empty
     */
    static String adminGivenOrEnvironment(String given, Map<String, String> environment) {
        if (given != null) {
            if (given.isBlank()) {
                throw new DirkException("--password is empty: give the administration password, or leave the option "
                        + "out to use $" + ADMIN_ENVIRONMENT_VARIABLE);
            }
            return given;
        }
        String admin = fromEnvironment(environment, ADMIN_ENVIRONMENT_VARIABLE);
        String application = fromEnvironment(environment, ENVIRONMENT_VARIABLE);
        return admin != null ? admin : application;
    }

    /**
     * What a control command tries when a member refuses its administration password: the previous one of a rotation
     * ({@code $DIRK_PREVIOUS_ADMIN_PASSWORD}, a member not restarted since), then the application one (a member still
     * on the single-password setup) and its previous one.
     *
     * @throws DirkException naming a variable that is set but empty
     */
    static java.util.List<String> adminFallbacksFromEnvironment(Map<String, String> environment) {
        java.util.List<String> fallbacks = new java.util.ArrayList<>();
        for (String variable : java.util.List.of(PREVIOUS_ADMIN_ENVIRONMENT_VARIABLE, ENVIRONMENT_VARIABLE,
                PREVIOUS_ENVIRONMENT_VARIABLE)) {
            String value = fromEnvironment(environment, variable);
            if (value != null) {
                fallbacks.add(value);
            }
        }
        return fallbacks;
    }

    /**
     * The password given on the command line, else of {@code $DIRK_PASSWORD}; null when neither gives one.
     *
     * @throws DirkException when the one given is empty, or the variable is set but empty: never read as "no
     *                       password" (an empty Secret key, a typo in a script would otherwise connect without one)
     */
    static String givenOrEnvironment(String given, Map<String, String> environment) {
        if (given != null) {
            if (given.isBlank()) {
                throw new DirkException("--password is empty: give the password, or leave the option out to use $"
                        + ENVIRONMENT_VARIABLE);
            }
            return given;
        }
        return fromEnvironment(environment, ENVIRONMENT_VARIABLE);
    }
}
