package io.dirkdb.operator.failover;

import io.dirkdb.DirkException;
import io.dirkdb.client.DirkConnection;
import io.dirkdb.protocol.Reply;
import java.io.IOException;

/**
 * Sends the member control statements ({@code dirk heartbeat}, {@code fence}, {@code promote},
 * {@code follow}) on a short-lived connection, with bounded connect and read times so a dead address
 * costs at most the timeout.
 */
public final class MemberControl {

  private final String password;
  private final int timeoutMillis;

  /** @param password the cluster's password for {@code dirk auth}, or null when members need none */
  public MemberControl(String password, int timeoutMillis) {
    this.password = password;
    this.timeoutMillis = timeoutMillis;
  }

  public MemberHeartbeat heartbeat(MemberEndpoint member) throws IOException {
    return MemberHeartbeat.parse(execute(member, "dirk heartbeat"));
  }

  /** Tells a member to refuse writes until promoted again. */
  public String fence(MemberEndpoint member) throws IOException {
    return execute(member, "dirk fence");
  }

  public String promote(MemberEndpoint member, long epoch) throws IOException {
    return execute(member, "dirk promote " + epoch);
  }

  public String follow(MemberEndpoint member, MemberEndpoint primary) throws IOException {
    return execute(member, "dirk follow " + DirkConnection.quote(primary.host()) + " " + primary.port());
  }

  /**
   * Runs one control statement and returns the member's message.
   *
   * @throws IOException when the member cannot be reached or does not answer in time
   * @throws DirkException when the member refuses the statement (its message says why)
   */
  public String execute(MemberEndpoint member, String statement) throws IOException {
    try (DirkConnection connection = DirkConnection.open(member.host(), member.port(), timeoutMillis)) {
      connection.setReadTimeoutMillis(timeoutMillis);
      if (password != null) {
        Reply auth = connection.authenticate(password);
        if (auth.isError()) {
          throw new DirkException(member.member() + " refused the cluster password: " + auth.errorMessage());
        }
      }
      Reply reply = connection.execute(statement);
      if (reply.isError()) {
        throw new DirkException(member.member() + " refused '" + statement + "': " + reply.errorMessage());
      }
      return reply.messageText();
    }
  }
}
