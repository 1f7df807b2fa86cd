namespace EvidenceBot.Service;

/// <summary>A rule that is due now: the slot it runs for, and how many earlier slots were missed and are skipped.</summary>
/// <param name="RuleId">The rule.</param>
/// <param name="Slot">The newest occurrence at or before now: the one this run stands for.</param>
/// <param name="Missed">Occurrences before <paramref name="Slot"/> since the rule last ran that will not run (downtime, a long run).</param>
/// <param name="FirstMissed">The oldest of them, when there are any.</param>
internal sealed record DueRule(string RuleId, DateTimeOffset Slot, int Missed, DateTimeOffset? FirstMissed);

/// <summary>
/// Which rules are due when. Each rule keeps the last slot it completed; a rule is due when its schedule has an
/// occurrence after that slot and not after now. After downtime it runs once, for the newest missed slot, and the
/// older ones are counted as skipped. A rule that is running is never due (never two executions of one rule at once);
/// if it overruns its next slot, that slot is due, once, when it finishes. Not thread-safe: one scheduler loop owns it.
/// </summary>
internal sealed class ScheduleBook
{
    // Counting skipped occurrences of a seconds schedule over days of downtime must not take long.
    private const int MissedCountLimit = 100_000;

    private readonly Dictionary<string, RuleSchedule> _schedules = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, DateTimeOffset> _last = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _running = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Sets the rules and their schedules (at start and after a reload). A rule seen for the first time, with no
    /// recorded run, is scheduled from <paramref name="now"/>: it first runs at its next occurrence, not at once.
    /// </summary>
    public void SetRules(IReadOnlyDictionary<string, RuleSchedule> schedules, DateTimeOffset now)
    {
        _schedules.Clear();
        // A rule no longer scheduled (deleted, or its edit refused) forgets its last slot: added back, it starts afresh at
        // its next slot, rather than counting the time it was gone as missed slots.
        foreach (var gone in _last.Keys.Where(id => !schedules.ContainsKey(id) && !_running.Contains(id)).ToList())
            _last.Remove(gone);
        foreach (var (id, schedule) in schedules)
        {
            _schedules[id] = schedule;
            _last.TryAdd(id, now);
        }
    }

    /// <summary>Records when each rule last ran (from the state file and the bundles), before <see cref="SetRules"/>.</summary>
    public void Restore(IReadOnlyDictionary<string, DateTimeOffset> lastRuns)
    {
        foreach (var (id, at) in lastRuns)
        {
            if (!_last.TryGetValue(id, out var known) || at > known)
                _last[id] = at;
        }
    }

    /// <summary>The rules and the slot each last completed (or was first scheduled from).</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> LastRuns => _last;

    /// <summary>The rules being run now.</summary>
    public IReadOnlyCollection<string> Running => _running;

    /// <summary>The earliest next occurrence of a rule that is not running; null when nothing is scheduled.</summary>
    public DateTimeOffset? NextWake()
    {
        DateTimeOffset? earliest = null;
        foreach (var (id, schedule) in _schedules)
        {
            if (_running.Contains(id))
                continue;
            if (schedule.Next(_last[id]) is { } next && (earliest is null || next < earliest))
                earliest = next;
        }

        return earliest;
    }

    /// <summary>The rules due at <paramref name="now"/>, marked running; complete or interrupt each later.</summary>
    public IReadOnlyList<DueRule> TakeDue(DateTimeOffset now)
    {
        var due = new List<DueRule>();
        foreach (var (id, schedule) in _schedules.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            if (_running.Contains(id) || schedule.Next(_last[id]) is not { } next || next > now)
                continue;
            var missed = 0;
            var slot = next;
            foreach (var occurrence in schedule.Between(_last[id], now).Take(MissedCountLimit))
            {
                slot = occurrence;
                missed++;
            }

            missed--;
            due.Add(new DueRule(id, slot, missed, missed > 0 ? next : null));
            _running.Add(id);
        }

        return due;
    }

    /// <summary>The rule's run for <paramref name="slot"/> ended with a bundle: its next run is the next slot after it.</summary>
    public void Completed(string ruleId, DateTimeOffset slot)
    {
        _running.Remove(ruleId);
        if (!_last.TryGetValue(ruleId, out var known) || slot > known)
            _last[ruleId] = slot;
    }

    /// <summary>
    /// The rule's run ended with no bundle (interrupted, or it could not be written): the slot stays due and runs once
    /// more, on the next wake-up (after a restart, or at once).
    /// </summary>
    public void NotCompleted(string ruleId) => _running.Remove(ruleId);
}
