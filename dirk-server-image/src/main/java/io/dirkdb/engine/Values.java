package io.dirkdb.engine;

import io.dirkdb.DirkException;
import io.dirkdb.sql.Expression.Operator;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.Comparator;
import java.util.List;

/**
 * The value semantics of the language. Stored values are null, {@link Long}, {@link Double},
 * {@link String} or {@link LocalDate}; conditions evaluate to {@link Boolean} or null (unknown).
 * Integers stay integers: integer arithmetic gives a Long, except a division that is not exact.
 */
final class Values {
    private Values() {}

    /** Orders any two stored values: null first, then numbers, strings, dates. Used to sort groups. */
    static final Comparator<Object> TOTAL_ORDER = (a, b) -> {
        int ra = rank(a);
        int rb = rank(b);
        if (ra != rb) {
            return Integer.compare(ra, rb);
        }
        return a == null ? 0 : compare(a, b);
    };

    static final Comparator<List<Object>> KEY_ORDER = (a, b) -> {
        for (int i = 0; i < a.size(); i++) {
            int c = TOTAL_ORDER.compare(a.get(i), b.get(i));
            if (c != 0) {
                return c;
            }
        }
        return 0;
    };

    private static int rank(Object v) {
        if (v == null) {
            return 0;
        } else if (v instanceof Number) {
            return 1;
        } else if (v instanceof String) {
            return 2;
        } else if (v instanceof LocalDate) {
            return 3;
        }
        return 4;
    }

    /** Compares two non-null values of comparable kinds; a string meets a date as an ISO date. */
    static int compare(Object a, Object b) {
        if (a instanceof Long x && b instanceof Long y) {
            return Long.compare(x, y);
        }
        if (a instanceof Number x && b instanceof Number y) {
            return Double.compare(x.doubleValue(), y.doubleValue());
        }
        if (a instanceof String x && b instanceof String y) {
            return x.compareTo(y);
        }
        if (a instanceof LocalDate x && b instanceof LocalDate y) {
            return x.compareTo(y);
        }
        if (a instanceof LocalDate x && b instanceof String y) {
            return x.compareTo(parseDate(y));
        }
        if (a instanceof String x && b instanceof LocalDate y) {
            return parseDate(x).compareTo(y);
        }
        throw new DirkException("cannot compare " + describe(a) + " with " + describe(b));
    }

    /** Equality as {@code =} sees it: numbers by value, a string equal to a date when it names that date. */
    static boolean equal(Object a, Object b) {
        if (a instanceof Long x && b instanceof Long y) {
            return x.longValue() == y.longValue();
        }
        if (a instanceof Number x && b instanceof Number y) {
            return x.doubleValue() == y.doubleValue();
        }
        if (a instanceof LocalDate x && b instanceof String y) {
            LocalDate d = tryParseDate(y);
            return x.equals(d);
        }
        if (a instanceof String x && b instanceof LocalDate y) {
            return y.equals(tryParseDate(x));
        }
        return a.equals(b);
    }

    static Boolean compareOp(Operator op, Object a, Object b) {
        if (a == null || b == null) {
            return null;
        }
        return switch (op) {
            case EQUAL -> equal(a, b);
            case NOT_EQUAL -> !equal(a, b);
            case LESS -> compare(a, b) < 0;
            case LESS_OR_EQUAL -> compare(a, b) <= 0;
            case GREATER -> compare(a, b) > 0;
            case GREATER_OR_EQUAL -> compare(a, b) >= 0;
            default -> throw new IllegalArgumentException(op.name());
        };
    }

    static Object arithmetic(Operator op, Object a, Object b) {
        if (a == null || b == null) {
            return null;
        }
        if (op == Operator.ADD && a instanceof String x && b instanceof String y) {
            return x + y;
        }
        if (!(a instanceof Number) || !(b instanceof Number)) {
            throw new DirkException("cannot apply " + op.symbol + " to " + describe(a) + " and " + describe(b));
        }
        if (a instanceof Long x && b instanceof Long y) {
            try {
                return switch (op) {
                    case ADD -> Math.addExact(x, y);
                    case SUBTRACT -> Math.subtractExact(x, y);
                    case MULTIPLY -> Math.multiplyExact(x, y);
                    case DIVIDE -> {
                        if (y == 0) {
                            throw new DirkException("division by zero");
                        }
                        yield x % y == 0 ? (Object) (x / y) : (Object) (x.doubleValue() / y.doubleValue());
                    }
                    default -> throw new IllegalArgumentException(op.name());
                };
            } catch (ArithmeticException e) {
                throw new DirkException("integer overflow in " + x + " " + op.symbol + " " + y);
            }
        }
        double x = ((Number) a).doubleValue();
        double y = ((Number) b).doubleValue();
        return switch (op) {
            case ADD -> x + y;
            case SUBTRACT -> x - y;
            case MULTIPLY -> x * y;
            case DIVIDE -> {
                if (y == 0) {
                    throw new DirkException("division by zero");
                }
                yield x / y;
            }
            default -> throw new IllegalArgumentException(op.name());
        };
    }

    static Object negate(Object v) {
        if (v == null) {
            return null;
        }
        if (v instanceof Long l) {
            if (l == Long.MIN_VALUE) {
                throw new DirkException("integer overflow in -" + l);
            }
            return -l;
        }
        if (v instanceof Double d) {
            return -d;
        }
        throw new DirkException("cannot negate " + describe(v));
    }

    /** A condition's truth: true, false or null (unknown). */
    static Boolean truth(Object v) {
        if (v == null || v instanceof Boolean) {
            return (Boolean) v;
        }
        throw new DirkException("a condition must be true or false, but found " + describe(v));
    }

    /** Turns a computed value into a storable one: conditions become 1 or 0. */
    static Object stored(Object v) {
        if (v instanceof Boolean b) {
            return b ? 1L : 0L;
        }
        return v;
    }

    /** The form under which hash indexes, groups and set operations compare values: 2.0 and 2 meet. */
    static Object key(Object v) {
        if (v instanceof Double d && d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 9.0e18) {
            return (long) d.doubleValue();
        }
        return v;
    }

    static LocalDate tryParseDate(String text) {
        try {
            return LocalDate.parse(text.trim());
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static LocalDate parseDate(String text) {
        LocalDate date = tryParseDate(text);
        if (date == null) {
            throw new DirkException("'" + text + "' is not a date (expected YYYY-MM-DD)");
        }
        return date;
    }

    /** A value as a user reads it in an error message. */
    static String describe(Object v) {
        if (v == null) {
            return "null";
        } else if (v instanceof Number) {
            return "number " + v;
        } else if (v instanceof LocalDate) {
            return "date '" + v + "'";
        } else if (v instanceof Boolean) {
            return "condition " + v;
        }
        return "text '" + v + "'";
    }

    /** A value as written in SQL, for messages: strings and dates quoted. */
    static String literal(Object v) {
        if (v instanceof String || v instanceof LocalDate) {
            return "'" + v + "'";
        }
        return String.valueOf(v);
    }
}
