using Microsoft.ML;
using Microsoft.ML.Calibrators;

namespace MovieRecs.Recommender.Algorithms;

/// <summary>
/// P(label | score) as a sigmoid, 1 / (1 + exp(Slope·score + Offset)), fitted by ML.NET's Platt calibrator. The
/// like-probabilities use it: on the test rows of all four splits it was better calibrated than our binned isotonic map
/// (docs/recommender.md, "Calibration and metrics: ML.NET or ours").
/// </summary>
internal sealed record PlattCalibration(double Slope, double Offset)
{
    public float Map(float score) => (float)(1 / (1 + Math.Exp(Slope * score + Offset)));

    /// <summary>Null when the labels hold one class only (or none): a sigmoid has nothing to fit then.</summary>
    public static PlattCalibration? Fit(ReadOnlySpan<float> score, ReadOnlySpan<bool> label, int seed)
    {
        var rows = new Row[score.Length];
        bool anyTrue = false, anyFalse = false;
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = new Row { Score = score[i], Label = label[i] };
            anyTrue |= label[i];
            anyFalse |= !label[i];
        }
        if (!anyTrue || !anyFalse)
            return null;
        var ml = new MLContext(seed);
        var fitted = ml.BinaryClassification.Calibrators.Platt().Fit(ml.Data.LoadFromEnumerable(rows));
        var model = ((IPredictionTransformer<PlattCalibrator>)fitted).Model;
        return double.IsFinite(model.Slope) && double.IsFinite(model.Offset) ? new PlattCalibration(model.Slope, model.Offset) : null;
    }

    sealed class Row
    {
        public float Score { get; set; }
        public bool Label { get; set; }
    }
}
