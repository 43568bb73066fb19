namespace Meshwork.Portal.ViewModels;

/// <summary>Copies of an immutable list with one entry replaced, removed, added or moved: how a form edits a record's lists.</summary>
public static class ListEdits
{
    public static IReadOnlyList<T> Replace<T>(IReadOnlyList<T> list, int index, Func<T, T> change) =>
        list.Select((item, i) => i == index ? change(item) : item).ToList();

    public static IReadOnlyList<T> RemoveAt<T>(IReadOnlyList<T> list, int index) =>
        list.Where((_, i) => i != index).ToList();

    public static IReadOnlyList<T> Append<T>(IReadOnlyList<T> list, T item) => [.. list, item];

    /// <summary>Moves the entry at <paramref name="index"/> by <paramref name="offset"/> places (clamped to the list).</summary>
    public static IReadOnlyList<T> Move<T>(IReadOnlyList<T> list, int index, int offset)
    {
        var target = Math.Clamp(index + offset, 0, list.Count - 1);
        var copy = list.ToList();
        var item = copy[index];
        copy.RemoveAt(index);
        copy.Insert(target, item);
        return copy;
    }
}
