package io.dirkdb.server;

import io.dirkdb.DirkException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The passwords a member accepts with {@code dirk auth}, one per {@link AccessRole}. Three ways to set them:
 * <ul>
 *   <li>none: authentication is off, every connection holds the administration role (a member on a
 *       laptop, tests);</li>
 *   <li>the application password only (the single-password setups made before roles existed): that
 *       password grants administration, as it always did; {@link #singlePassword()} says so, and the
 *       server logs a warning;</li>
 *   <li>all three, each different: each grants its own role.</li>
 * </ul>
 * Anything else (a replication or administration password without the other two) is refused, so that a
 * typing slip never leaves a role open or quietly shares a secret.
 * <p>
 * During a rotation each role may also have its previous password ({@code previous...}, optional, null when
 * unset), which grants the same role as the current one: members restarted with the new passwords and members
 * not yet restarted keep talking to each other until every one runs on the new ones.
 */
public record Credentials(String application, String replication, String administration, String previousApplication,
        String previousReplication, String previousAdministration) {
    public static final Credentials NONE = new Credentials(null, null, null);

    /** Current passwords only (no rotation under way). */
    public Credentials(String application, String replication, String administration) {
        this(application, replication, administration, null, null, null);
    }

    public Credentials {
        boolean separate = replication != null || administration != null;
        if (separate && (application == null || replication == null || administration == null)) {
            throw new DirkException("separate credentials need all three passwords: application (--password-file), "
                    + "replication (--replication-password-file) and administration (--admin-password-file); "
                    + "missing: " + missing(application, replication, administration));
        }
        if (separate && (application.equals(replication) || application.equals(administration)
                || replication.equals(administration))) {
            throw new DirkException("the application, replication and administration passwords must all differ");
        }
        if (previousApplication != null && application == null
                || previousReplication != null && replication == null
                || previousAdministration != null && administration == null) {
            throw new DirkException("a previous password needs the current password of its role");
        }
        // A password shared by two roles (current or previous) would grant the wider one: refuse it.
        String[][] roles = {{application, previousApplication}, {replication, previousReplication},
            {administration, previousAdministration}};
        for (int i = 0; i < roles.length; i++) {
            for (int j = i + 1; j < roles.length; j++) {
                for (String a : roles[i]) {
                    for (String b : roles[j]) {
                        if (a != null && a.equals(b)) {
                            throw new DirkException("a previous password must differ from the other roles' passwords");
                        }
                    }
                }
            }
        }
    }

    /** These passwords with the previous ones of a rotation (each null when that role keeps its password). */
    public Credentials withPrevious(String application, String replication, String administration) {
        return new Credentials(this.application, this.replication, this.administration, application, replication,
                administration);
    }

    /**
     * The passwords to try, in order, when a member refuses {@link #replicationPassword()}: the previous one of a
     * rotation (a member not yet restarted with the new passwords), then the application password (a member still on
     * the single-password setup, during an upgrade).
     */
    public java.util.List<String> replicationFallbacks() {
        return fallbacks(replicationPassword(), replication != null ? previousReplication : previousApplication);
    }

    /** As {@link #replicationFallbacks()}, for {@link #administrationPassword()}. */
    public java.util.List<String> administrationFallbacks() {
        return fallbacks(administrationPassword(), administration != null ? previousAdministration : previousApplication);
    }

    private java.util.List<String> fallbacks(String current, String previous) {
        java.util.LinkedHashSet<String> tried = new java.util.LinkedHashSet<>();
        tried.add(previous);
        if (!singlePassword()) {
            tried.add(application);
            tried.add(previousApplication);
        }
        tried.remove(null);
        tried.remove(current);
        return java.util.List.copyOf(tried);
    }

    /** True while a previous password is accepted (a rotation under way). */
    public boolean rotating() {
        return previousApplication != null || previousReplication != null || previousAdministration != null;
    }

    /** One password for every role (the compatibility rule); none when {@code password} is null. */
    public static Credentials single(String password) {
        return new Credentials(password, null, null);
    }

    /** False when authentication is off. */
    public boolean required() {
        return application != null;
    }

    /** True when only the application password is set: it grants administration. */
    public boolean singlePassword() {
        return application != null && replication == null;
    }

    /** The password a member gives other members for {@code dirk stream} and {@code dirk snapshot}. */
    public String replicationPassword() {
        return replication != null ? replication : application;
    }

    /** The password for control requests (promote, fence, follow, resync, lease renewal). */
    public String administrationPassword() {
        return administration != null ? administration : application;
    }

    /**
     * The role {@code offered} grants, or null when it matches none. Every password is compared, each in
     * constant time on digests, so neither which one matched nor their lengths leak through timing.
     */
    public AccessRole grant(String offered) {
        if (!required()) {
            return AccessRole.ADMINISTRATION;
        }
        if (offered == null) {
            return null;
        }
        boolean app = sameSecret(offered, application) | matches(offered, previousApplication);
        boolean repl = matches(offered, replication) | matches(offered, previousReplication);
        boolean admin = matches(offered, administration) | matches(offered, previousAdministration);
        if (singlePassword()) {
            return app ? AccessRole.ADMINISTRATION : null;
        }
        return admin ? AccessRole.ADMINISTRATION : repl ? AccessRole.REPLICATION : app ? AccessRole.APPLICATION : null;
    }

    private static boolean matches(String offered, String expected) {
        return expected != null && sameSecret(offered, expected);
    }

    private static boolean sameSecret(String offered, String expected) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] a = sha.digest(offered.getBytes(StandardCharsets.UTF_8));
            byte[] b = sha.digest(expected.getBytes(StandardCharsets.UTF_8));
            return MessageDigest.isEqual(a, b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static String missing(String application, String replication, String administration) {
        java.util.List<String> names = new java.util.ArrayList<>();
        if (application == null) {
            names.add("application");
        }
        if (replication == null) {
            names.add("replication");
        }
        if (administration == null) {
            names.add("administration");
        }
        return String.join(", ", names);
    }

    @Override
    public String toString() {
        // Never print a password.
        return "Credentials[" + (!required() ? "none" : singlePassword() ? "single password" : "three roles")
                + (rotating() ? ", previous passwords accepted" : "") + "]";
    }
}
