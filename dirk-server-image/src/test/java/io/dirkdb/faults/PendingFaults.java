package io.dirkdb.faults;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The fault scenarios that break a promise on today's code (issue 12): tagged
 * {@value #TAG} and run only with {@code -Ddirk.faults.pending=true}, so that the normal build stays
 * green while the fixes are under way. The lead removes the annotation from a test once its fix has
 * landed; nothing in the checker is loosened for them.
 */
final class PendingFaults {
    static final String TAG = "pending-fault-fix";

    private PendingFaults() {}

    @Target({ElementType.METHOD, ElementType.TYPE})
    @Retention(RetentionPolicy.RUNTIME)
    @Tag(TAG)
    @EnabledIfSystemProperty(named = "dirk.faults.pending", matches = "true",
            disabledReason = "breaks a promise on today's code (issue 12); run with -Ddirk.faults.pending=true")
    @interface Pending {}
}
