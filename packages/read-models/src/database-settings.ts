/**
 * Settings for the connections that query the read models (the query API, the all-in-one
 * process). The read models are small and read from memory, where a page read out of order
 * costs about what one read in sequence does. With the server's default random_page_cost (4),
 * the case counts of a county's workloads at Yinchuan ×10 read all 55,500 rows of case_summary
 * (14-19 ms) instead of the county's 10,108 from the covering index (index-only, 9 ms); 1.1 is
 * the kind of value PostgreSQL's documentation suggests for data that is cached. Over the
 * analyst queries at ×10 (called directly, 40 times each, twice each way), none got slower:
 * 灵武市's workloads p50 18.6-26.7 -> 13.6-14.1 ms, a county's summary for a year 5.1-5.3 ->
 * 2.6-2.7 ms, the p99 of all of them 20.7-28.4 -> 15.5-15.9 ms.
 */
export const READ_MODEL_DATABASE_SETTINGS = { random_page_cost: 1.1 } as const;
