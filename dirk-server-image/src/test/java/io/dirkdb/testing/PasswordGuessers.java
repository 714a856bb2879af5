package io.dirkdb.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Clients guessing a password from one address on many connections at once, each connection giving up after four
 * failures (before the fifth closes it) and reconnecting: what a throttle counting per connection never slows.
 */
public final class PasswordGuessers {
    private PasswordGuessers() {
    }

    /**
     * Guesses from {@code threads} connections at once until one attempt's answer contains {@code refusal} or
     * {@code within} has passed.
     *
     * @return the answers containing {@code refusal} (0: never refused)
     */
    public static int guessUntilRefused(InetSocketAddress target, int threads, String refusal, Duration within)
            throws InterruptedException {
        AtomicInteger refused = new AtomicInteger();
        AtomicBoolean done = new AtomicBoolean();
        long until = System.nanoTime() + within.toNanos();
        List<Thread> guessers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Thread guesser = new Thread(() -> {
                while (!done.get() && System.nanoTime() < until) {
                    try (RawClient client = new RawClient(target)) {
                        client.socket().setSoTimeout(15_000);
                        for (int attempt = 1; attempt <= 4 && !done.get(); attempt++) {
                            if (client.ask("dirk auth 'guess-" + attempt + "';").contains(refusal)) {
                                refused.incrementAndGet();
                                done.set(true);
                            }
                        }
                    } catch (IOException e) {
                        // closed: connect again
                    }
                }
            }, "password-guesser-" + i);
            guesser.setDaemon(true);
            guesser.start();
            guessers.add(guesser);
        }
        for (Thread guesser : guessers) {
            guesser.join(within.toMillis() + 20_000);
        }
        return refused.get();
    }
}
