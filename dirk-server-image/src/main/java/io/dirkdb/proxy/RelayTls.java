package io.dirkdb.proxy;

import io.dirkdb.protocol.tls.TlsSettings;

/**
 * The TLS of a relay ({@code dirk proxy}, {@code dirk cache}), each side optional and independent:
 * toward its clients (its listener) and toward what it forwards to (the members, or the proxy).
 *
 * @param listener what the listener accepts (only TLS then), or null for plain TCP
 * @param upstream how it connects upstream, or null for plain TCP
 */
public record RelayTls(TlsSettings listener, TlsSettings upstream) {
    public static final RelayTls PLAIN = new RelayTls(null, null);
}
