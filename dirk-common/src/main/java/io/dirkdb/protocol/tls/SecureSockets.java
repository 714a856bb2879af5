package io.dirkdb.protocol.tls;

import io.dirkdb.protocol.ConnectionDeadlines;
import io.dirkdb.protocol.ReplyWriter;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * Opens and accepts DirkDB connections, in TLS when settings are given, in plain TCP when they are
 * null. A TLS listener accepts nothing else: a client speaking plain text gets a one-line error in
 * plain text and is closed; a TLS client verifies the listener's certificate against the name it
 * connected to (DNS name or IP address in the certificate's subject alternative names).
 */
public final class SecureSockets {
    /** The first byte of every TLS record that opens a handshake. */
    private static final int TLS_HANDSHAKE_RECORD = 0x16;
    /** Bounds a client's handshake when the caller asked for no read timeout. */
    private static final int DEFAULT_HANDSHAKE_MILLIS = 10_000;
    public static final String PLAINTEXT_REFUSED = "this port accepts only TLS connections: connect with TLS "
            + "(dirk client --tls-ca FILE, or --tls for the JVM's certificate authorities)";

    private SecureSockets() {
    }

    /**
     * Connects to {@code host:port} within {@code timeoutMillis}, which then also bounds every read
     * (0: none, though a TLS handshake is still bounded); with TLS, the handshake is done here.
     */
    public static Socket connect(TlsSettings tls, String host, int port, int timeoutMillis) throws IOException {
        return connect(tls, null, host, port, timeoutMillis);
    }

    /**
     * As {@link #connect(TlsSettings, String, int, int)}, from the local address {@code source} when it is given and
     * on the same side of loopback as the target (a member listening on 127.0.0.3 reaches 127.0.0.2 from its own
     * address, so the primary recognises it; it reaches a remote host from the address the system picks).
     */
    public static Socket connect(TlsSettings tls, java.net.InetAddress source, String host, int port, int timeoutMillis)
            throws IOException {
        Socket raw = new Socket();
        try {
            raw.setTcpNoDelay(true);
            InetSocketAddress target = new InetSocketAddress(host, port);
            if (source != null && !source.isAnyLocalAddress() && !target.isUnresolved()
                    && source.isLoopbackAddress() == target.getAddress().isLoopbackAddress()) {
                raw.bind(new InetSocketAddress(source, 0));
            }
            raw.connect(target, timeoutMillis);
            if (tls == null) {
                raw.setSoTimeout(timeoutMillis);
                return raw;
            }
            raw.setSoTimeout(timeoutMillis > 0 ? timeoutMillis : DEFAULT_HANDSHAKE_MILLIS);
            String name = tls.serverName() != null ? tls.serverName() : host;
            SSLSocket socket = (SSLSocket) tls.context().getSocketFactory().createSocket(raw, name, port, true);
            SSLParameters parameters = socket.getSSLParameters();
            // Checks the certificate names host: a DNS name or, for 127.0.0.x in tests, an IP address SAN.
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            socket.setSSLParameters(parameters);
            try {
                socket.startHandshake();
            } catch (SSLException e) {
                throw explain(e, host + ":" + port);
            } catch (SocketTimeoutException e) {
                throw new SocketTimeoutException(host + ":" + port + " did not finish a TLS handshake in time "
                        + "(is TLS enabled on it?)");
            } catch (EOFException e) {
                throw new IOException(host + ":" + port + " closed the connection during the TLS handshake "
                        + "(is TLS enabled on it? a member over its connection limit closes TLS connections so)", e);
            }
            socket.setSoTimeout(timeoutMillis);
            return socket;
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    /**
     * Turns a connection just accepted into the one to serve: with TLS, reads the first byte (a
     * plain-text client is answered {@link #PLAINTEXT_REFUSED} and closed) and runs the handshake.
     * Runs on the connection's own thread; {@code watch} (may be null) closes the raw socket if the
     * handshake outlasts the authentication deadline, and learns the secured socket.
     *
     * @throws IOException when the connection is not to be served (its raw socket is then closed)
     */
    public static Socket accept(TlsSettings tls, Socket raw, ConnectionDeadlines.Watch watch) throws IOException {
        if (tls == null) {
            return raw;
        }
        try {
            InputStream in = raw.getInputStream();
            int first = in.read();
            if (first < 0) {
                throw new EOFException("closed before a TLS handshake");
            }
            if (first != TLS_HANDSHAKE_RECORD) {
                refusePlaintext(raw);
                throw new IOException("a client spoke plain text to a TLS listener; refused");
            }
            SSLSocket socket = (SSLSocket) tls.context().getSocketFactory()
                    .createSocket(raw, new ByteArrayInputStream(new byte[] {(byte) first}), true);
            socket.setUseClientMode(false);
            if (tls.clientAuth() == TlsSettings.ClientAuth.REQUIRED) {
                socket.setNeedClientAuth(true);
            }
            socket.startHandshake();
            if (watch != null) {
                watch.secured(socket);
            }
            return socket;
        } catch (IOException | RuntimeException e) {
            closeQuietly(raw);
            throw e;
        }
    }

    /** Answers in plain text, then drains briefly so closing does not reset the answer away. */
    private static void refusePlaintext(Socket raw) {
        try {
            raw.getOutputStream().write(ReplyWriter.encodeError(PLAINTEXT_REFUSED));
            raw.getOutputStream().flush();
            raw.shutdownOutput();
            raw.setSoTimeout(200);
            InputStream in = raw.getInputStream();
            byte[] sink = new byte[4096];
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
            while (System.nanoTime() < deadline && in.read(sink) >= 0) {
                // discard the rest of the plain-text request
            }
        } catch (IOException e) {
            // the client is gone or keeps its side open: the answer is out
        }
    }

    /**
     * What to tell about a failed exchange on a client connection. With TLS 1.3 a server refuses a
     * client certificate only after the client's handshake is done: its alert may come after our
     * write already failed (broken pipe), so the alert waiting in the socket is read to say why.
     */
    public static IOException explainExchangeFailure(Socket socket, IOException e, String peer) {
        if (e instanceof SSLException ssl) {
            return explain(ssl, peer);
        }
        if (!(socket instanceof SSLSocket) || e instanceof SocketTimeoutException) {
            return e; // a slow peer is not a refusal; its connection may still be read
        }
        try {
            socket.setSoTimeout(1000);
            socket.getInputStream().read();
        } catch (SSLException alert) {
            IOException explained = explain(alert, peer);
            explained.addSuppressed(e);
            return explained;
        } catch (IOException | RuntimeException other) {
            // nothing more to learn
        }
        return e;
    }

    /** A sentence naming what went wrong in a client's handshake; the cause stays attached for the log. */
    public static IOException explain(SSLException e, String peer) {
        String message = e.getMessage() == null ? "" : e.getMessage();
        Throwable cause = e;
        while (cause != null) {
            if (cause instanceof CertPathValidatorException
                    || String.valueOf(cause.getMessage()).contains("PKIX path")) {
                return new IOException("the TLS certificate of " + peer + " is not signed by a trusted certificate "
                        + "authority (check --tls-ca)", e);
            }
            if (cause instanceof CertificateException && String.valueOf(cause.getMessage()).contains("No subject alternative")
                    || String.valueOf(cause.getMessage()).contains("No name matching")) {
                return new IOException("the TLS certificate of " + peer + " is not for the name connected to ("
                        + cause.getMessage() + "); its subject alternative names must include it", e);
            }
            cause = cause.getCause();
        }
        if (message.contains("Remote host terminated the handshake")) {
            return new IOException(peer + " closed the connection during the TLS handshake (a member over its "
                    + "connection limit closes TLS connections so; or TLS is not enabled on it)", e);
        }
        if (message.contains("Unsupported or unrecognized SSL message") || message.contains("plaintext")) {
            return new IOException(peer + " does not speak TLS (is TLS enabled on it?)", e);
        }
        if (message.contains("certificate_required") || message.contains("bad_certificate")) {
            return new IOException(peer + " requires a client certificate signed by its certificate authority "
                    + "(--tls-cert and --tls-key)", e);
        }
        return new IOException("TLS with " + peer + " failed: " + message, e);
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // already closed
        }
    }
}
