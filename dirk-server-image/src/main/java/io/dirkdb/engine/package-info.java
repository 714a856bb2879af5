/**
 * The engine: catalog, types, query execution and the durable write path
 * ({@link io.dirkdb.engine.Engine}).
 *
 * <p>Semantics chosen where the original was silent or broken:
 * <ul>
 *   <li>Values are null, {@link java.lang.Long}, {@link java.lang.Double}, {@link java.lang.String}
 *       or {@link java.time.LocalDate}. Integer arithmetic stays integer; a division of integers
 *       that is not exact gives a decimal; overflow and division by zero are errors.
 *       {@code count} is an integer, {@code sum} is an integer while every value is, {@code avg}
 *       is a decimal. {@code +} also joins two strings.</li>
 *   <li>Comparisons: numbers by value (2 = 2.0), strings by their characters (so {@code <} and
 *       {@code >} work on text), dates as dates; a string meets a date as an ISO date
 *       ({@code '2026-11-27'}). Equality of different kinds is false; ordering them is an error.
 *       A comparison with null is unknown, and a row passes a condition only when it is true.</li>
 *   <li>Conditions in the select list answer 1 or 0.</li>
 *   <li>Rows come out in insertion order (an update keeps a row's place). Groups of
 *       {@code #vondrona} come out sorted by their key: nulls, then numbers, strings, dates.
 *       A column that is neither grouped nor aggregated shows the group's first row.</li>
 *   <li>Set operations remove duplicates, keeping first appearances in order.</li>
 *   <li>The relation of a single-table select is named after the table (not its alias); of a
 *       view, after the view; of a subquery, after its alias; of a join, after its leftmost
 *       source; of a set operation, after its left operand; of {@code asehoy ny X}, after X
 *       ({@code tahiry}, {@code tabilao}, {@code efitra}, {@code jery}).</li>
 *   <li>A domain used by a column is copied into the column's type when the table is created,
 *       so dropping the domain later leaves the table as it was.</li>
 *   <li>A view is stored as its query text, re-planned each time it is queried, and checked
 *       when created (a view over a missing table is refused). Rows cannot be written into a
 *       view.</li>
 *   <li>Dropping the database a session uses leaves that session with no current database;
 *       other sessions on it get a clear error until they choose another.</li>
 * </ul>
 * Every text the engine answers with on success is in {@link io.dirkdb.engine.Messages}.
 */
package io.dirkdb.engine;
