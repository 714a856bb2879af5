package io.dirkdb.replication;

import static org.assertj.core.api.Assertions.assertThat;

import io.dirkdb.protocol.tls.TlsSettings;
import java.io.PrintStream;
import java.io.OutputStream;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ResyncToolTlsTest {
    private static final ResyncTool.Endpoint SOURCE = new ResyncTool.Endpoint("m1.dirk.svc", 3948);
    private static final ResyncTool.Endpoint TARGET = new ResyncTool.Endpoint("10.0.0.7", 3948);

    private static ResyncTool tool(TlsSettings tls, String sourceServerName) {
        return new ResyncTool(SOURCE, TARGET, null, Duration.ofSeconds(1), Duration.ofMillis(10),
                new PrintStream(OutputStream.nullOutputStream()), false, tls, null, sourceServerName);
    }

    @Test
    void targetServerNameIsNotUsedToCheckTheSourcesCertificate() {
        ResyncTool resync = tool(TlsSettings.client(null, null, null).withServerName("m2.dirk.svc"), null);
        assertThat(resync.tlsTowards(TARGET).serverName()).isEqualTo("m2.dirk.svc");
        // null: the source's certificate is checked against the host connected to, m1.dirk.svc
        assertThat(resync.tlsTowards(SOURCE).serverName()).isNull();
    }

    @Test
    void sourceServerNameChecksTheSourceOnly() {
        ResyncTool resync = tool(TlsSettings.client(null, null, null).withServerName("m2.dirk.svc"), "m1.dirk.svc");
        assertThat(resync.tlsTowards(SOURCE).serverName()).isEqualTo("m1.dirk.svc");
        assertThat(resync.tlsTowards(TARGET).serverName()).isEqualTo("m2.dirk.svc");
    }

    @Test
    void plainTcpStaysPlainOnBothSides() {
        ResyncTool resync = tool(null, "m1.dirk.svc");
        assertThat(resync.tlsTowards(SOURCE)).isNull();
        assertThat(resync.tlsTowards(TARGET)).isNull();
    }
}
