package io.dirkdb.proxy;

/** How the proxy sees one member after its last heartbeat, as far as routing and monitoring care. */
public enum MemberHealth {
    /** Not probed yet. */
    UNKNOWN,
    /** Did not answer the heartbeat: the original's {@code Erreur connexion à} case. */
    DOWN,
    /** Answered but said it is not ready (starting or shutting down). */
    NOT_READY,
    /** A secondary too far behind the primary to serve reads: {@code Erreur réplication sur}. */
    LAGGING,
    /** Stepped down: gets neither writes nor reads. */
    FENCED,
    /** A primary or a secondary that can serve. */
    SERVING
}
