#pragma once
// Add or edit one machine. Each field has its message line beneath it: while typing, the
// values are checked by the server's own rules (an import dry run of this one machine, 300 ms
// after the last key), and on Save a refusal is shown next to the field it names.
#include <QDialog>
#include <QJsonObject>
#include <QMap>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTimer;

namespace bk::admin {

class ApiClient;
struct Result;

class MachineDialog : public QDialog {
  Q_OBJECT
 public:
  // `existing` empty: a new machine (POST); else that machine (PUT by its id).
  MachineDialog(ApiClient& api, const QJsonObject& existing, QWidget* parent = nullptr);

  QLineEdit* field(const QString& name) const { return edits_.value(name); }
  QComboBox* image_box() const { return image_; }
  QCheckBox* enabled_box() const { return enabled_; }
  QString error_text(const QString& field) const;  // what the line beneath `field` says
  QPushButton* save_button() const { return save_; }

  // The machine in the document form the API takes.
  QJsonObject machine() const;
  // Runs the server's check now (instead of after the typing pause).
  void check_now();
  void save();

 signals:
  void checked();  // a check's answer is shown
  void saved(const QJsonObject& machine);

 private:
  void show_errors(const Result& r);

  ApiClient& api_;
  QJsonObject existing_;
  QMap<QString, QLineEdit*> edits_;
  QMap<QString, QLabel*> errors_;  // field -> its message line; "" is the dialog's own
  QComboBox* image_;
  QCheckBox* enabled_;
  QPushButton* save_;
  QTimer* debounce_;
  int check_generation_ = 0;
};

}  // namespace bk::admin
