package io.dirkdb.storage;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A state machine for tests: the payloads applied so far, as strings, with their LSNs. */
final class RecordingMachine implements StateMachine {
    final List<String> payloads = new ArrayList<>();
    final List<Long> lsns = new ArrayList<>();
    int snapshotsRead;

    @Override
    public synchronized void apply(LogRecord record) {
        lsns.add(record.lsn());
        payloads.add(new String(record.payload(), StandardCharsets.UTF_8));
    }

    @Override
    public synchronized void writeSnapshot(OutputStream out) throws IOException {
        DataOutputStream data = new DataOutputStream(out);
        data.writeInt(payloads.size());
        for (int i = 0; i < payloads.size(); i++) {
            data.writeLong(lsns.get(i));
            data.writeUTF(payloads.get(i));
        }
        data.flush();
    }

    @Override
    public synchronized void readSnapshot(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        payloads.clear();
        lsns.clear();
        int count = data.readInt();
        for (int i = 0; i < count; i++) {
            lsns.add(data.readLong());
            payloads.add(data.readUTF());
        }
        snapshotsRead++;
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
