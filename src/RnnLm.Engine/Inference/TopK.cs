namespace RnnLm.Engine.Inference;

/// <summary>The most probable words of a distribution.</summary>
internal static class TopK
{
    // A min-heap of k entries: most words lose to its smallest at a glance, so the cost is about one comparison a word.

    /// <summary>Ids of the <paramref name="k"/> largest probabilities, most probable first (ties by lower id).</summary>
    public static int[] Ids(ReadOnlySpan<float> probabilities, int k)
    {
        k = Math.Min(k, probabilities.Length);
        var heap = new PriorityQueue<int, (float P, int NegId)>(k + 1);
        for (var id = 0; id < probabilities.Length; id++)
        {
            if (heap.Count == k)
            {
                heap.TryPeek(out _, out var smallest);
                if (probabilities[id] <= smallest.P)
                {
                    continue; // ties keep the lower id, which came first
                }

                heap.DequeueEnqueue(id, (probabilities[id], -id));
            }
            else
            {
                heap.Enqueue(id, (probabilities[id], -id));
            }
        }

        var result = new int[heap.Count];
        for (var i = result.Length - 1; i >= 0; i--)
        {
            result[i] = heap.Dequeue();
        }

        return result;
    }
}
