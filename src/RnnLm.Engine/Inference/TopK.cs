namespace RnnLm.Engine.Inference;

/// <summary>The most probable words of a distribution.</summary>
internal static class TopK
{
    /// <summary>Ids of the <paramref name="k"/> largest probabilities, most probable first (ties by lower id).</summary>
    public static int[] Ids(ReadOnlySpan<float> probabilities, int k) => [.. Of(probabilities, k).Select(x => x.Id)];

    /// <summary>The <paramref name="k"/> largest probabilities with their ids, most probable first (ties by lower id).</summary>
    public static (int Id, float Probability)[] Of(ReadOnlySpan<float> probabilities, int k)
    {
        var best = new Best(Math.Min(k, probabilities.Length));
        for (var id = 0; id < probabilities.Length; id++)
        {
            best.Offer(id, probabilities[id]);
        }

        return best.Drain();
    }

    /// <summary>
    /// The <c>k</c> most probable of the words offered, in any order: more probable first, and of equal probabilities the
    /// lower id first.
    /// </summary>
    /// <remarks>
    /// A min-heap of k entries: most words lose to its smallest at a glance, so the cost is about one comparison a word.
    /// </remarks>
    public sealed class Best(int k)
    {
        private readonly PriorityQueue<int, (float P, int NegId)> _heap = new(k + 1);

        /// <summary>Whether it holds k words: a word must then beat <see cref="Smallest"/> to get in.</summary>
        public bool IsFull => _heap.Count == k;

        /// <summary>The probability of the last of the words held.</summary>
        public float Smallest => _heap.TryPeek(out _, out var smallest) ? smallest.P : 0;

        public void Offer(int id, float probability)
        {
            if (k == 0)
            {
                return;
            }

            var entry = (probability, -id);
            if (_heap.Count < k)
            {
                _heap.Enqueue(id, entry);
            }
            else if (_heap.TryPeek(out _, out var smallest) && entry.CompareTo(smallest) > 0)
            {
                _heap.DequeueEnqueue(id, entry);
            }
        }

        /// <summary>The words held, most probable first; empties it.</summary>
        public (int Id, float Probability)[] Drain()
        {
            var result = new (int, float)[_heap.Count];
            for (var i = result.Length - 1; i >= 0; i--)
            {
                _heap.TryDequeue(out var id, out var entry);
                result[i] = (id, entry.P);
            }

            return result;
        }
    }
}
