/**
 * Recipes: real native libraries that push results through callbacks, read as pull-style Java with
 * {@link org.fiberswitch.pull}. Each one is bound with plain JNA ({@code NativeLibrary} and
 * {@code Function}) on the Java thread; only the pushing call itself runs on a fiber, with
 * {@link org.fiberswitch.CallbackStub}s in place of its callbacks.
 *
 * <table>
 *   <caption>The recipes</caption>
 *   <tr><th>recipe</th><th>push API</th><th>user data at</th><th>early stop</th></tr>
 *   <tr><td>{@link org.fiberswitch.examples.QsortR}</td><td>{@code qsort_r} comparator</td>
 *       <td>2</td><td>drain (cannot abort)</td></tr>
 *   <tr><td>{@link org.fiberswitch.examples.Sqlite}</td><td>{@code sqlite3_exec} row callback</td>
 *       <td>0</td><td>reply 1; {@code SQLITE_ABORT} (4) expected</td></tr>
 *   <tr><td>{@link org.fiberswitch.examples.Expat}</td><td>expat start/end/character handlers
 *       (tags 0, 1, 2)</td><td>0</td><td>drain, or {@code XML_StopParser}</td></tr>
 *   <tr><td>{@link org.fiberswitch.examples.Curl}</td><td>{@code CURLOPT_WRITEFUNCTION}</td>
 *       <td>3</td><td>reply 0; {@code CURLE_WRITE_ERROR} (23) expected</td></tr>
 * </table>
 */
package org.fiberswitch.examples;
